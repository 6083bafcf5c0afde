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
    const rule = byId(resources, 'module.platform.module.network.aws_vpc_security_group_ingress_rule.admin["ssh"]');
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
    expect(byId(resources, 'aws_instance.bastion[0]').facts.tags).toEqual({ Name: 'bastion-0', role: 'bastion' });
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
      rule: [{ apply_server_side_encryption_by_default: [{ sse_algorithm: 'aws:kms' }], bucket_key_enabled: true }],
    });
  });

  it('finds the line of each entry in a pretty-printed plan', () => {
    const text = readFileSync('fixtures/terraform/modules-deep.json', 'utf8').split('\n');
    for (const resource of resources) {
      expect(text[resource.location.line - 1]).toContain(`"address": ${JSON.stringify(resource.id)}`);
    }
  });
});
