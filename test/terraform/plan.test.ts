import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../src/model/resource.js';
import { terraformPlanResources, type ChangeFacts } from '../../src/terraform/plan.js';

function load(name: string): { resources: Resource[]; notices: unknown[] } {
  const file = `fixtures/terraform/${name}`;
  const text = readFileSync(file, 'utf8');
  return terraformPlanResources(JSON.parse(text), { file, text });
}

function byId(resources: Resource[], id: string): Resource {
  const found = resources.find((resource) => resource.id === id);
  if (!found) throw new Error(`no resource ${id} in ${resources.map((r) => r.id).join(', ')}`);
  return found;
}

describe('terraform plan: modules three deep, count and for_each', () => {
  const { resources } = load('modules-deep.json');
  const encryption =
    'module.platform.module.storage["logs"].module.encryption.aws_s3_bucket_server_side_encryption_configuration.this';

  it('makes one resource per resource_changes entry with the plan address as id', () => {
    expect(resources.map((r) => r.id)).toContain(encryption);
    expect(resources).toHaveLength(14);
    const sse = byId(resources, encryption);
    expect(sse.kind).toBe('aws_s3_bucket_server_side_encryption_configuration');
    expect(sse.name).toBe('this');
    expect(sse.source).toBe('terraform');
    const change = sse.facts.change as ChangeFacts;
    expect(change.moduleAddress).toBe('module.platform.module.storage["logs"].module.encryption');
    expect(change.actions).toEqual(['create']);
    expect(change.replace).toBe(false);
  });

  it('resolves references through module variables and outputs to the right instance', () => {
    expect(byId(resources, encryption).facts.references).toEqual({
      bucket: ['module.platform.module.storage["logs"].aws_s3_bucket.this'],
      'rule.apply_server_side_encryption_by_default.kms_master_key_id': ['module.platform.aws_kms_key.s3'],
    });
    // The root-level public access block reaches the logs bucket through two module outputs.
    expect(byId(resources, 'aws_s3_bucket_public_access_block.logs').facts.references).toEqual({
      bucket: ['module.platform.module.storage["logs"].aws_s3_bucket.this'],
    });
    const rule = byId(
      resources,
      'module.platform.module.network.aws_vpc_security_group_ingress_rule.admin["ssh"]',
    );
    expect(rule.facts.references).toEqual({
      security_group_id: ['module.platform.module.network.aws_security_group.web'],
    });
  });

  it('takes the region from the provider configuration, variables and aliases included', () => {
    expect(byId(resources, encryption).facts.region).toBe('eu-west-1');
    expect(byId(resources, 'aws_instance.bastion[0]').facts.region).toBe('us-east-1');
    expect(byId(resources, 'module.dr.aws_s3_bucket.replica').facts.region).toBe('us-east-1');
    expect(byId(resources, 'aws_instance.bastion[1]').facts.provider).toBe('aws');
  });

  it('merges provider default tags with the resource tags', () => {
    const bucket = byId(resources, 'module.platform.module.storage["logs"].aws_s3_bucket.this');
    expect(bucket.facts.tags).toEqual({ data: 'audit-logs', environment: 'prod', team: 'platform' });
    expect(bucket.labels).toEqual(bucket.facts.tags);
    // The aws.us provider sets no default tags and tags_all is unknown: only the resource's own tags.
    expect(byId(resources, 'aws_instance.bastion[0]').facts.tags).toEqual({
      Name: 'bastion-0',
      role: 'bastion',
    });
  });

  it('lists values unknown until apply as JSON pointers into the body', () => {
    const sse = byId(resources, encryption);
    expect(sse.unknownPaths).toEqual([
      '/bucket',
      '/id',
      '/rule/0/apply_server_side_encryption_by_default/0/kms_master_key_id',
    ]);
    expect(sse.body).toEqual({
      expected_bucket_owner: null,
      rule: [
        { apply_server_side_encryption_by_default: [{ sse_algorithm: 'aws:kms' }], bucket_key_enabled: true },
      ],
    });
  });

  it('finds the line of each entry in a pretty-printed plan', () => {
    const text = readFileSync('fixtures/terraform/modules-deep.json', 'utf8').split('\n');
    for (const resource of resources) {
      expect(text[resource.location.line - 1]).toContain(`"address": ${JSON.stringify(resource.id)}`);
    }
  });
});

describe('terraform plan: tags without provider default tags', () => {
  /** The tags of one planned aws_s3_bucket with `after` as its body (no configuration section). */
  function tagsOf(after: Record<string, unknown>): { tags: unknown; labels: unknown } {
    const plan = {
      format_version: '1.2',
      resource_changes: [
        {
          address: 'aws_s3_bucket.a',
          mode: 'managed',
          type: 'aws_s3_bucket',
          name: 'a',
          provider_name: 'registry.terraform.io/hashicorp/aws',
          change: { actions: ['create'], before: null, after, after_unknown: {} },
        },
      ],
    };
    const [resource] = terraformPlanResources(plan, {
      file: 'plan.json',
      text: JSON.stringify(plan),
    }).resources;
    return { tags: resource!.facts.tags, labels: resource!.labels };
  }

  it.each([
    ['tags_all holding the own tags', { tags: { b: '2' }, tags_all: { a: '1', b: '2' } }, { a: '1', b: '2' }],
    [
      'own tags in another order',
      { tags: { b: '2', a: '1' }, tags_all: { a: '1', b: '2' } },
      { a: '1', b: '2' },
    ],
    ['own tags only', { tags: { b: '2', a: '1' } }, { b: '2', a: '1' }],
    ['an own tag missing from tags_all', { tags: { c: '3' }, tags_all: { a: '1' } }, { a: '1', c: '3' }],
    ['an own tag that differs', { tags: { a: 'x' }, tags_all: { a: '1', b: '2' } }, { a: 'x', b: '2' }],
    ['non-string values', { tags_all: { a: 1, b: true, c: null, d: { e: 'f' } } }, { a: '1', b: 'true' }],
    ['GCP labels first', { labels: { z: '0' }, tags: { a: '1' } }, { z: '0', a: '1' }],
    ['null own tags', { tags: null, tags_all: { a: '1' } }, { a: '1' }],
    ['no tags at all', {}, {}],
  ])('%s', (_name, after, expected) => {
    const { tags, labels } = tagsOf(after);
    expect(tags).toEqual(expected);
    expect(Object.keys(tags as object)).toEqual(Object.keys(expected));
    expect(labels).toBe(tags);
  });

  it('a __proto__ tag is dropped, as assigning it would', () => {
    const { tags } = tagsOf(
      JSON.parse('{"tags_all": {"__proto__": "x", "a": "1"}}') as Record<string, unknown>,
    );
    expect(Object.keys(tags as object)).toEqual(['a']);
    expect(Object.hasOwn(tags as object, '__proto__')).toBe(false);
  });
});

describe('terraform plan: replace, delete and deposed objects', () => {
  const { resources } = load('replace-delete.json');

  it('marks replacements with their reason and the paths that force them', () => {
    const db = byId(resources, 'aws_db_instance.orders');
    const change = db.facts.change as ChangeFacts;
    expect(change.actions).toEqual(['delete', 'create']);
    expect(change.replace).toBe(true);
    expect(change.replacePaths).toEqual(['/storage_encrypted']);
    expect(change.actionReason).toBe('replace_because_cannot_update');
    expect(change.afterSensitive).toEqual({ password: true, tags: {}, tags_all: {} });
    expect(db.body.storage_encrypted).toBe(true);
    expect(db.facts.references).toEqual({ kms_key_id: ['aws_kms_key.orders'] });
    expect((byId(resources, 'aws_instance.worker[0]').facts.change as ChangeFacts).actions).toEqual([
      'create',
      'delete',
    ]);
  });

  it('judges a deleted object by its prior values and knows nothing is unknown about it', () => {
    const bucket = byId(resources, 'aws_s3_bucket.legacy_exports');
    expect(bucket.body.bucket).toBe('acme-legacy-exports');
    expect(bucket.unknownPaths).toBeUndefined();
    expect(bucket.facts.tags).toEqual({ environment: 'staging' });
    expect((bucket.facts.change as ChangeFacts).actionReason).toBe('delete_because_no_resource_config');
    // Not in the configuration any more: the region comes from the object itself.
    expect(bucket.facts.region).toBe('eu-west-1');
  });

  it('gives deposed objects their own id', () => {
    const deposed = byId(resources, 'aws_instance.worker[0] (deposed a1b2c3d4)');
    expect((deposed.facts.change as ChangeFacts).deposed).toBe('a1b2c3d4');
    expect(deposed.body.id).toBe('i-0aa11bb22cc33dd44');
    expect(resources.filter((r) => r.id === 'aws_instance.worker[0]')).toHaveLength(1);
  });

  it('keeps data sources read during apply, with their mode', () => {
    const data = byId(resources, 'data.aws_iam_policy_document.orders_read');
    expect((data.facts.change as ChangeFacts).mode).toBe('data');
    expect(data.kind).toBe('aws_iam_policy_document');
    expect(data.facts.references).toEqual({ 'statement.resources': ['aws_db_instance.orders'] });
    expect(data.unknownPaths).toEqual(['/id', '/json', '/statement/0/resources']);
  });
});

describe('terraform plan: moved, forget and format 0.1', () => {
  it('keeps the previous address of moved resources', () => {
    const { resources } = load('moved.json');
    const bucket = byId(resources, 'module.storage.aws_s3_bucket.this');
    expect((bucket.facts.change as ChangeFacts).previousAddress).toBe('aws_s3_bucket.assets');
    expect(bucket.facts.region).toBe('eu-central-1');
    expect(byId(resources, 'module.storage.aws_s3_bucket_versioning.this').facts.references).toEqual({
      bucket: ['module.storage.aws_s3_bucket.this'],
    });
  });

  it('reads the forget action and judges the forgotten object by its prior values', () => {
    const { resources } = load('forget.json');
    const db = byId(resources, 'aws_db_instance.reporting');
    expect((db.facts.change as ChangeFacts).actions).toEqual(['forget']);
    expect(db.body.identifier).toBe('reporting-prod');
    expect(db.labels).toEqual({ environment: 'prod' });
  });

  it('reads a Terraform 0.12 plan (format 0.1) with legacy provider keys', () => {
    const { resources } = load('format-0.1.json');
    expect(resources.map((r) => r.id)).toEqual([
      'module.vpc.aws_vpc.this',
      'module.vpc.aws_subnet.public[0]',
      'module.vpc.aws_subnet.public[1]',
      'aws_security_group.ssh',
    ]);
    const subnet = byId(resources, 'module.vpc.aws_subnet.public[1]');
    expect(subnet.facts.region).toBe('us-west-2');
    expect(subnet.facts.provider).toBe('aws');
    expect(subnet.facts.references).toEqual({ vpc_id: ['module.vpc.aws_vpc.this'] });
    expect(byId(resources, 'aws_security_group.ssh').facts.references).toEqual({
      vpc_id: ['module.vpc.aws_vpc.this'],
    });
    // terraform show -json prints one line.
    expect(subnet.location).toEqual({ file: 'fixtures/terraform/format-0.1.json', line: 1 });
  });
});

describe('terraform plan: input that is not a plan this reader understands', () => {
  it.each([
    [
      'state.json',
      'fixtures/terraform/invalid/state.json: a Terraform state, not a plan; give the output of "terraform show -json PLANFILE"',
    ],
    [
      'format-2.json',
      'fixtures/terraform/invalid/format-2.json: unsupported Terraform plan format_version "2.0" (parapet reads 0.1 through 1.x)',
    ],
    [
      'bad-action.json',
      'fixtures/terraform/invalid/bad-action.json: resource_changes[0] (aws_s3_bucket.logs) has an unknown action "obliterate"',
    ],
  ])('%s fails with a one-line error naming the file', (name, message) => {
    expect(() => load(`invalid/${name}`)).toThrow(message);
  });
});
