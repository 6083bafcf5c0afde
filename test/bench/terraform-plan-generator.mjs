// Generates `terraform show -json` plans of any size for the Terraform benchmark: a root module that
// instantiates a "service" module once per for_each key, each instance holding the resources a real
// service stack has (bucket with its encryption/versioning/public-access companions, security group
// and rules, database, instances, IAM policy, KMS key, listener), with references in the
// configuration section, values unknown until apply, and a few deletes and replacements.
// Written in one line, as terraform prints it.

const PROVIDER = 'registry.terraform.io/hashicorp/aws';

/** The resources of one service instance: [local address, type, name, count index?, body, unknown, config refs]. */
function serviceResources(key, i) {
  const bucket = `acme-${key}`;
  const tags = { service: key, environment: i % 7 === 0 ? 'prod' : 'staging', team: `team-${i % 13}` };
  const open = i % 50 === 0;
  return [
    [
      'aws_s3_bucket',
      'data',
      undefined,
      { bucket, force_destroy: false, object_lock_enabled: false, tags, tags_all: tags },
      {
        arn: true,
        id: true,
        region: true,
        bucket_domain_name: true,
        server_side_encryption_configuration: true,
        versioning: true,
      },
      {},
    ],
    [
      'aws_s3_bucket_server_side_encryption_configuration',
      'data',
      undefined,
      {
        expected_bucket_owner: null,
        rule: [
          {
            apply_server_side_encryption_by_default: [{ sse_algorithm: 'aws:kms' }],
            bucket_key_enabled: true,
          },
        ],
      },
      {
        bucket: true,
        id: true,
        rule: [{ apply_server_side_encryption_by_default: [{ kms_master_key_id: true }] }],
      },
      {
        bucket: ['aws_s3_bucket.data.id', 'aws_s3_bucket.data'],
        rule: ['aws_kms_key.data.arn', 'aws_kms_key.data'],
      },
    ],
    [
      'aws_s3_bucket_versioning',
      'data',
      undefined,
      {
        expected_bucket_owner: null,
        mfa: null,
        versioning_configuration: [{ status: i % 9 === 0 ? 'Suspended' : 'Enabled' }],
      },
      { bucket: true, id: true },
      { bucket: ['aws_s3_bucket.data.id', 'aws_s3_bucket.data'] },
    ],
    [
      'aws_s3_bucket_public_access_block',
      'data',
      undefined,
      {
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      },
      { bucket: true, id: true },
      { bucket: ['aws_s3_bucket.data.id', 'aws_s3_bucket.data'] },
    ],
    [
      'aws_kms_key',
      'data',
      undefined,
      {
        description: `${key} data`,
        deletion_window_in_days: 30,
        enable_key_rotation: i % 11 !== 0,
        is_enabled: true,
        key_usage: 'ENCRYPT_DECRYPT',
        customer_master_key_spec: 'SYMMETRIC_DEFAULT',
        multi_region: false,
        tags,
        tags_all: tags,
      },
      { arn: true, id: true, key_id: true, policy: true },
      {},
    ],
    [
      'aws_security_group',
      'app',
      undefined,
      {
        name: `${key}-app`,
        description: `${key} application`,
        revoke_rules_on_delete: false,
        tags,
        tags_all: tags,
      },
      { arn: true, id: true, ingress: true, egress: true, owner_id: true, vpc_id: true },
      { vpc_id: ['var.vpc_id'] },
    ],
    [
      'aws_vpc_security_group_ingress_rule',
      'https',
      undefined,
      {
        cidr_ipv4: '0.0.0.0/0',
        from_port: 443,
        to_port: 443,
        ip_protocol: 'tcp',
        description: 'HTTPS',
        cidr_ipv6: null,
        prefix_list_id: null,
        referenced_security_group_id: null,
        tags: null,
      },
      { arn: true, id: true, security_group_id: true, security_group_rule_id: true, tags_all: true },
      { security_group_id: ['aws_security_group.app.id', 'aws_security_group.app'] },
    ],
    [
      'aws_vpc_security_group_ingress_rule',
      'ssh',
      undefined,
      {
        cidr_ipv4: open ? '0.0.0.0/0' : '10.0.0.0/8',
        from_port: 22,
        to_port: 22,
        ip_protocol: 'tcp',
        description: 'SSH',
        cidr_ipv6: null,
        prefix_list_id: null,
        referenced_security_group_id: null,
        tags: null,
      },
      { arn: true, id: true, security_group_id: true, security_group_rule_id: true, tags_all: true },
      { security_group_id: ['aws_security_group.app.id', 'aws_security_group.app'] },
    ],
    [
      'aws_instance',
      'app',
      0,
      {
        ami: 'ami-0c1c30571d2dae5c9',
        instance_type: 'm6i.large',
        monitoring: true,
        user_data: null,
        root_block_device: [
          { encrypted: true, volume_size: 50, volume_type: 'gp3', delete_on_termination: true },
        ],
        ebs_block_device: [],
        tags,
        tags_all: tags,
      },
      {
        arn: true,
        id: true,
        private_ip: true,
        public_ip: true,
        subnet_id: true,
        root_block_device: [
          { device_name: true, iops: true, kms_key_id: true, throughput: true, volume_id: true },
        ],
      },
      { vpc_security_group_ids: ['aws_security_group.app.id', 'aws_security_group.app'] },
    ],
    [
      'aws_instance',
      'app',
      1,
      {
        ami: 'ami-0c1c30571d2dae5c9',
        instance_type: 'm6i.large',
        monitoring: true,
        user_data: null,
        root_block_device: [
          { encrypted: true, volume_size: 50, volume_type: 'gp3', delete_on_termination: true },
        ],
        ebs_block_device: [],
        tags,
        tags_all: tags,
      },
      {
        arn: true,
        id: true,
        private_ip: true,
        public_ip: true,
        subnet_id: true,
        root_block_device: [
          { device_name: true, iops: true, kms_key_id: true, throughput: true, volume_id: true },
        ],
      },
      { vpc_security_group_ids: ['aws_security_group.app.id', 'aws_security_group.app'] },
    ],
    [
      'aws_iam_role_policy',
      'app',
      undefined,
      {
        name: `${key}-app`,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:GetObject', 's3:PutObject'],
              Resource: `arn:aws:s3:::${bucket}/*`,
            },
            ...(i % 97 === 0 ? [{ Effect: 'Allow', Action: '*', Resource: '*' }] : []),
          ],
        }),
      },
      { id: true, role: true },
      { role: ['var.role_name'] },
    ],
    [
      'aws_db_instance',
      'app',
      undefined,
      {
        identifier: key,
        engine: 'postgres',
        engine_version: '16.3',
        instance_class: 'db.t4g.medium',
        allocated_storage: 50,
        storage_encrypted: i % 17 !== 0,
        publicly_accessible: false,
        backup_retention_period: 7,
        deletion_protection: true,
        multi_az: false,
        username: 'app',
        tags,
        tags_all: tags,
      },
      { address: true, arn: true, endpoint: true, id: true, kms_key_id: true, resource_id: true },
      { kms_key_id: ['aws_kms_key.data.arn', 'aws_kms_key.data'] },
    ],
  ];
}

const PER_SERVICE = serviceResources('x', 1).length;

function changeOf(i, j, after, unknown) {
  // Every 400th service instance replaces its database; every 250th deletes its old SSH rule.
  if (j === 11 && i % 400 === 399) {
    return {
      actions: ['delete', 'create'],
      before: { ...after, storage_encrypted: false, id: `db-${i}` },
      after,
      after_unknown: unknown,
      before_sensitive: {},
      after_sensitive: {},
      replace_paths: [['storage_encrypted']],
    };
  }
  if (j === 7 && i % 250 === 249) {
    return {
      actions: ['delete'],
      before: { ...after, id: `sgr-${i}` },
      after: null,
      after_unknown: {},
      before_sensitive: {},
      after_sensitive: false,
    };
  }
  return {
    actions: ['create'],
    before: null,
    after,
    after_unknown: unknown,
    before_sensitive: false,
    after_sensitive: {},
  };
}

/** A plan with about `count` resource changes (rounded to whole service instances). */
export function generatePlan(count) {
  const services = Math.max(1, Math.round(count / PER_SERVICE));
  const changes = [];
  const keys = [];
  for (let i = 0; i < services; i += 1) {
    const key = `svc-${String(i).padStart(6, '0')}`;
    keys.push(key);
    const module = `module.service["${key}"]`;
    serviceResources(key, i).forEach(([type, name, index, after, unknown], j) => {
      const address = `${module}.${type}.${name}${index === undefined ? '' : `[${index}]`}`;
      const change = { address, module_address: module, mode: 'managed', type, name };
      if (index !== undefined) change.index = index;
      change.provider_name = PROVIDER;
      change.change = changeOf(i, j, after, unknown);
      if (change.change.actions.length === 2) change.action_reason = 'replace_because_cannot_update';
      if (change.change.actions[0] === 'delete' && change.change.actions.length === 1)
        change.action_reason = 'delete_because_no_resource_config';
      changes.push(change);
    });
  }
  const configResources = serviceResources('x', 1)
    .filter(([, , index]) => index !== 1)
    .map(([type, name, index, after, , refs]) => {
      const expressions = {};
      for (const [attribute, value] of Object.entries(after))
        if (value !== null) expressions[attribute] = { constant_value: value };
      for (const [attribute, references] of Object.entries(refs)) expressions[attribute] = { references };
      const resource = {
        address: `${type}.${name}`,
        mode: 'managed',
        type,
        name,
        provider_config_key: 'aws',
        expressions,
        schema_version: 0,
      };
      if (index !== undefined) resource.count_expression = { constant_value: 2 };
      return resource;
    });
  const plan = {
    format_version: '1.2',
    terraform_version: '1.9.8',
    variables: { region: { value: 'eu-west-1' } },
    resource_changes: changes,
    configuration: {
      provider_config: {
        aws: {
          name: 'aws',
          full_name: PROVIDER,
          expressions: {
            region: { references: ['var.region'] },
            default_tags: [{ tags: { constant_value: { managed_by: 'terraform' } } }],
          },
        },
      },
      root_module: {
        module_calls: {
          service: {
            source: './modules/service',
            for_each_expression: { references: ['var.services'] },
            expressions: {
              vpc_id: { constant_value: 'vpc-0c0ffee0c0ffee000' },
              role_name: { references: ['each.key'] },
            },
            module: { resources: configResources, variables: { vpc_id: {}, role_name: {} } },
          },
        },
        variables: { region: {}, services: {} },
      },
    },
    timestamp: '2025-11-24T10:12:31Z',
    applyable: true,
    complete: true,
    errored: false,
  };
  return { text: JSON.stringify(plan) + '\n', resources: changes.length, services: keys.length };
}
