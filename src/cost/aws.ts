import { isQuote } from './catalogue.js';
import { missingReason, type Read } from './state.js';
import { requireRegion, type TerraformEstimateInput, type TerraformEstimator } from './terraform-context.js';
import type { MachineName } from './types.js';

const AWS = 'aws';

/** `m5.large` -> { family: m5, size: large }; `db.r5.large` -> { family: db.r5, size: large }. */
export function awsMachine(type: string): MachineName {
  const dot = type.lastIndexOf('.');
  return { type, family: dot > 0 ? type.slice(0, dot) : type, size: dot > 0 ? type.slice(dot + 1) : '' };
}

function known<T>(read: Read<T>): read is { known: true; value: T } {
  return read.known && read.value !== undefined;
}

type VolumeFields = { type: string; size: string; iops: string; throughput: string };

const pointersByFields = new Map<VolumeFields, Map<string, VolumeFields>>();

/** The pointers of a volume's fields below `base`, made once per base (one string each, not one per read). */
function volumePointers(base: string, fields: VolumeFields): VolumeFields {
  let byBase = pointersByFields.get(fields);
  if (!byBase) pointersByFields.set(fields, (byBase = new Map()));
  let pointers = byBase.get(base);
  if (!pointers) {
    pointers = {
      type: `${base}/${fields.type}`,
      size: `${base}/${fields.size}`,
      iops: `${base}/${fields.iops}`,
      throughput: `${base}/${fields.throughput}`,
    };
    if (byBase.size < 1024) byBase.set(base, pointers);
  }
  return pointers;
}

/** EBS storage, IOPS and throughput lines for one volume (aws_ebs_volume or an instance block device). */
function ebsVolume(input: TerraformEstimateInput, label: string, base: string, fields: VolumeFields): void {
  const { view, builder, catalogue } = input;
  const pointers = volumePointers(base, fields);
  const typeRead = view.string(pointers.type);
  const sizeRead = view.number(pointers.size);
  const name = `${label} storage`;
  const region = requireRegion(input, name, 'GB-month');
  if (region === undefined) return;
  if (!known(typeRead)) return builder.unknown(name, 'GB-month', missingReason(pointers.type, typeRead));
  if (!known(sizeRead))
    return builder.unknown(`${name} (${typeRead.value})`, 'GB-month', missingReason(pointers.size, sizeRead));
  const type = typeRead.value;
  const size = sizeRead.value;
  builder.fixed(`${name} (${type})`, 'GB-month', size, catalogue.lookup(AWS, 'ebs-storage', region, type));
  if (type === 'gp3' || type === 'io1' || type === 'io2') {
    const iopsRead = view.number(pointers.iops);
    if (!iopsRead.known && type === 'gp3') {
      // Terraform leaves an unset gp3 IOPS unknown until apply; AWS then applies the included baseline.
      builder.fixed(
        `${label} provisioned IOPS above 3,000 (gp3)`,
        'IOPS-month',
        0,
        catalogue.lookup(AWS, 'ebs-iops', region, 'gp3'),
        1,
        GP3_BASELINE_ASSUMPTION,
      );
    } else if (!iopsRead.known) {
      builder.unknown(
        `${label} provisioned IOPS (${type})`,
        'IOPS-month',
        missingReason(pointers.iops, iopsRead),
      );
    } else {
      // gp3 includes 3,000 IOPS and 125 MB/s; io1/io2 bill every provisioned IOPS.
      const iops = iopsRead.value ?? (type === 'gp3' ? 3000 : undefined);
      if (iops === undefined)
        builder.unknown(
          `${label} provisioned IOPS (${type})`,
          'IOPS-month',
          `${fields.iops} is not set in the plan`,
        );
      else if (type === 'gp3' && iops > 3000) {
        builder.fixed(
          `${label} provisioned IOPS above 3,000 (gp3)`,
          'IOPS-month',
          iops - 3000,
          catalogue.lookup(AWS, 'ebs-iops', region, 'gp3'),
        );
      } else if (type === 'io1') {
        builder.fixed(
          `${label} provisioned IOPS (io1)`,
          'IOPS-month',
          iops,
          catalogue.lookup(AWS, 'ebs-iops', region, 'io1'),
        );
      } else if (type === 'io2') {
        const tiers: Array<[string, number]> = [
          ['io2-tier1', Math.min(iops, 32_000)],
          ['io2-tier2', Math.min(Math.max(iops - 32_000, 0), 32_000)],
          ['io2-tier3', Math.max(iops - 64_000, 0)],
        ];
        for (const [tier, amount] of tiers) {
          if (amount > 0)
            builder.fixed(
              `${label} provisioned IOPS (io2, ${tier.slice(4)})`,
              'IOPS-month',
              amount,
              catalogue.lookup(AWS, 'ebs-iops', region, tier),
            );
        }
      }
    }
  }
  if (type === 'gp3') {
    const throughputRead = view.number(pointers.throughput);
    if (!throughputRead.known) {
      builder.fixed(
        `${label} provisioned throughput above 125 MB/s (gp3)`,
        'MBps-month',
        0,
        catalogue.lookup(AWS, 'ebs-throughput', region, 'gp3'),
        1,
        GP3_BASELINE_ASSUMPTION,
      );
    } else if ((throughputRead.value ?? 125) > 125) {
      builder.fixed(
        `${label} provisioned throughput above 125 MB/s (gp3)`,
        'MBps-month',
        (throughputRead.value ?? 125) - 125,
        catalogue.lookup(AWS, 'ebs-throughput', region, 'gp3'),
      );
    }
  }
  if (type === 'standard')
    builder.usage(
      `${label} I/O requests (magnetic)`,
      '1M requests',
      catalogue.lookup(AWS, 'ebs-io-requests', region, 'standard'),
    );
}

const GP3_BASELINE_ASSUMPTION =
  'unknown until apply: priced at the gp3 baseline (3,000 IOPS, 125 MB/s included) that AWS applies when none is configured';

const volumeFields: VolumeFields = { type: 'type', size: 'size', iops: 'iops', throughput: 'throughput' };

const instanceVolumeFields: VolumeFields = {
  type: 'volume_type',
  size: 'volume_size',
  iops: 'iops',
  throughput: 'throughput',
};

const awsInstance: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const typeRead = view.string('/instance_type');
  const tenancy = view.string('/tenancy');
  const computeName = (type: string) => `Instance usage (Linux/UNIX, on-demand, ${type})`;
  builder.setMachine('/instance_type', typeRead, awsMachine);
  if (!known(typeRead)) {
    builder.unknown(
      'Instance usage (Linux/UNIX, on-demand)',
      'hours',
      missingReason('/instance_type', typeRead),
    );
  } else {
    const type = typeRead.value;
    const spot = view.string('/instance_market_options/0/market_type');
    if (spot.known && spot.value === 'spot') {
      builder.unknown(
        computeName(type),
        'hours',
        'spot instance prices vary by the hour and are not in the catalogue',
      );
    } else if (tenancy.known && (tenancy.value === 'dedicated' || tenancy.value === 'host')) {
      builder.unknown(computeName(type), 'hours', `${tenancy.value} tenancy prices are not in the catalogue`);
    } else {
      const region = requireRegion(input, computeName(type), 'hours');
      if (region !== undefined) {
        builder.hourly(computeName(type), 1, catalogue.lookup(AWS, 'ec2-instance', region, type));
        const family = awsMachine(type).family;
        if (/^t[234]/.test(family)) {
          const credits = view.string('/credit_specification/0/cpu_credits');
          // T3 and newer launch in unlimited mode unless told otherwise; T2 defaults to standard.
          const unlimited =
            credits.known && credits.value !== undefined ? credits.value === 'unlimited' : family !== 't2';
          if (unlimited)
            builder.usage(
              `Unlimited mode surplus CPU credits (${family})`,
              'vCPU-hour',
              catalogue.lookup(AWS, 'ec2-cpu-credits', region, family),
            );
        }
      }
    }
  }
  const rootCount = view.length('/root_block_device');
  if (rootCount === undefined || rootCount === 0) {
    builder.unknown(
      'Root volume storage',
      'GB-month',
      rootCount === undefined
        ? 'root_block_device is unknown until apply (the AMI decides its size and type)'
        : 'root_block_device is not in the plan',
    );
  } else {
    ebsVolume(input, 'Root volume', '/root_block_device/0', instanceVolumeFields);
  }
  const extra = view.length('/ebs_block_device');
  if (extra === undefined)
    builder.unknown('EBS block devices', 'GB-month', 'ebs_block_device is unknown until apply');
  else
    for (let index = 0; index < extra; index += 1) {
      const device = view.string(`/ebs_block_device/${index}/device_name`);
      ebsVolume(
        input,
        `EBS block device ${device.known && device.value ? device.value : index}`,
        `/ebs_block_device/${index}`,
        instanceVolumeFields,
      );
    }
};

const awsEbsVolume: TerraformEstimator = (input) => {
  ebsVolume(input, 'Volume', '', volumeFields);
};

function rdsEngine(engine: string): string | undefined {
  if (engine === 'mysql' || engine === 'mariadb') return 'mysql';
  if (engine === 'postgres') return 'postgres';
  return undefined;
}

const awsDbInstance: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const classRead = view.string('/instance_class');
  const engineRead = view.string('/engine');
  const multiAzRead = view.boolean('/multi_az');
  const multiAz = multiAzRead.known ? multiAzRead.value === true : undefined;
  const deployment = multiAz === undefined ? '' : multiAz ? 'Multi-AZ' : 'Single-AZ';
  const name = `Database instance (${[known(engineRead) ? engineRead.value : '', known(classRead) ? classRead.value : '', deployment].filter(Boolean).join(', ')})`;
  builder.setMachine('/instance_class', classRead, awsMachine);
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  if (!known(classRead)) builder.unknown(name, 'hours', missingReason('/instance_class', classRead));
  else if (!known(engineRead)) builder.unknown(name, 'hours', missingReason('/engine', engineRead));
  else if (multiAz === undefined) builder.unknown(name, 'hours', 'multi_az is unknown until apply');
  else {
    const engine = rdsEngine(engineRead.value);
    if (engine === undefined)
      builder.unknown(
        name,
        'hours',
        `engine ${engineRead.value} has no prices in the catalogue (licence-included and Aurora engines are priced differently)`,
      );
    else {
      const lookup = catalogue.lookup(AWS, 'rds-instance', region, `${engine}.${classRead.value}`);
      builder.hourly(name, 1, lookup, multiAz && isQuote(lookup) ? (lookup.multiAzMultiplier ?? 1) : 1);
    }
  }
  const storageName = 'Database storage';
  const sizeRead = view.number('/allocated_storage');
  const storageRead = view.string('/storage_type');
  if (!known(sizeRead))
    return builder.unknown(storageName, 'GB-month', missingReason('/allocated_storage', sizeRead));
  if (!known(storageRead))
    return builder.unknown(storageName, 'GB-month', missingReason('/storage_type', storageRead));
  if (multiAz === undefined)
    return builder.unknown(storageName, 'GB-month', 'multi_az is unknown until apply');
  const storage = catalogue.lookup(AWS, 'rds-storage', region, storageRead.value);
  builder.fixed(
    `${storageName} (${storageRead.value}${multiAz ? ', Multi-AZ' : ''})`,
    'GB-month',
    sizeRead.value,
    storage,
    multiAz && isQuote(storage) ? (storage.multiAzMultiplier ?? 1) : 1,
  );
  if (storageRead.value === 'io1') {
    const iops = view.number('/iops');
    if (!known(iops))
      builder.unknown('Database provisioned IOPS (io1)', 'IOPS-month', missingReason('/iops', iops));
    else {
      const lookup = catalogue.lookup(AWS, 'rds-iops', region, 'io1');
      builder.fixed(
        'Database provisioned IOPS (io1)',
        'IOPS-month',
        iops.value,
        lookup,
        multiAz && isQuote(lookup) ? (lookup.multiAzMultiplier ?? 1) : 1,
      );
    }
  }
};

const awsRdsClusterInstance: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const classRead = view.string('/instance_class');
  const engineRead = view.string('/engine');
  const engine = known(engineRead)
    ? engineRead.value === 'aurora'
      ? 'aurora-mysql'
      : engineRead.value
    : undefined;
  const name = `Aurora instance (${[engine, known(classRead) ? classRead.value : ''].filter(Boolean).join(', ')})`;
  builder.setMachine('/instance_class', classRead, awsMachine);
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  if (!known(classRead)) return builder.unknown(name, 'hours', missingReason('/instance_class', classRead));
  if (engine === undefined) return builder.unknown(name, 'hours', missingReason('/engine', engineRead));
  if (classRead.value === 'db.serverless')
    return builder.unknown(name, 'ACU-hours', 'Aurora Serverless v2 capacity depends on load');
  builder.hourly(
    name,
    1,
    catalogue.lookup(AWS, 'rds-aurora-instance', region, `${engine}.${classRead.value}`),
  );
};

const awsRdsCluster: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const engineRead = view.string('/engine');
  if (!engineRead.known)
    return builder.unknown('Cluster storage', 'GB-month', 'engine is unknown until apply');
  const engine = engineRead.value ?? 'aurora';
  if (!engine.startsWith('aurora')) {
    return builder.unknown(
      'Multi-AZ DB cluster',
      'hours',
      `engine ${engine}: Multi-AZ DB cluster prices are not in the catalogue`,
    );
  }
  const region = requireRegion(input, 'Aurora storage', 'GB-month');
  if (region === undefined) return;
  builder.usage('Aurora storage', 'GB-month', catalogue.lookup(AWS, 'aurora-storage', region, 'storage'));
  builder.usage('Aurora I/O requests', '1M requests', catalogue.lookup(AWS, 'aurora-storage', region, 'io'));
};

const awsNatGateway: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'NAT gateway', 'hours');
  if (region === undefined) return;
  input.builder.hourly('NAT gateway', 1, input.catalogue.lookup(AWS, 'nat-gateway', region, 'hour'));
  input.builder.usage(
    'NAT gateway data processed',
    'GB',
    input.catalogue.lookup(AWS, 'nat-gateway-data', region, 'gb'),
  );
};

const capacityUnits: Record<string, [string, string]> = {
  application: ['Load balancer capacity units (LCU)', 'LCU-hour'],
  network: ['Load balancer capacity units (NLCU)', 'NLCU-hour'],
  gateway: ['Load balancer capacity units (GLCU)', 'GLCU-hour'],
  classic: ['Classic load balancer data processed', 'GB'],
};

function loadBalancer(input: TerraformEstimateInput, type: string): void {
  const name = `Load balancer (${type})`;
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  input.builder.hourly(name, 1, input.catalogue.lookup(AWS, 'elb-hour', region, type));
  const [usageName, unit] = capacityUnits[type] ?? ['Load balancer capacity', 'units'];
  input.builder.usage(usageName, unit, input.catalogue.lookup(AWS, 'elb-capacity', region, type));
}

const awsLb: TerraformEstimator = (input) => {
  const typeRead = input.view.string('/load_balancer_type');
  if (!typeRead.known)
    return input.builder.unknown('Load balancer', 'hours', 'load_balancer_type is unknown until apply');
  loadBalancer(input, typeRead.value ?? 'application');
};

const awsEksCluster: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'EKS cluster', 'hours');
  if (region === undefined) return;
  input.builder.hourly(
    'EKS cluster (standard support)',
    1,
    input.catalogue.lookup(AWS, 'eks-cluster', region, 'standard'),
  );
};

const awsEksNodeGroup: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const desired = view.number('/scaling_config/0/desired_size');
  const typeRead = view.string('/instance_types/0');
  const capacity = view.string('/capacity_type');
  const typeName = known(typeRead) ? typeRead.value : undefined;
  const name = `Node instances (Linux/UNIX, on-demand${typeName ? `, ${typeName}` : ''})`;
  builder.setMachine('/instance_types/0', typeRead, awsMachine);
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  if (!known(desired))
    builder.unknown(name, 'hours', missingReason('/scaling_config/0/desired_size', desired));
  else if (capacity.known && capacity.value === 'SPOT')
    builder.unknown(name, 'hours', 'spot instance prices vary by the hour and are not in the catalogue');
  else if (typeName === undefined) {
    const template = view.length('/launch_template');
    builder.unknown(
      name,
      'hours',
      template
        ? 'the instance type comes from the launch template, which the plan does not resolve'
        : missingReason('/instance_types', typeRead),
    );
  } else builder.hourly(name, desired.value, catalogue.lookup(AWS, 'ec2-instance', region, typeName));
  const disk = view.number('/disk_size');
  if (!disk.known || disk.value !== undefined) {
    builder.unknown(
      'Node root volumes',
      'GB-month',
      'the node volume type is chosen by EKS and is not in the plan',
    );
  }
};

const awsAutoscalingGroup: TerraformEstimator = (input) => {
  const desired = input.view.number('/desired_capacity');
  const count = known(desired) ? ` × ${desired.value}` : '';
  input.builder.unknown(
    `Instances${count}`,
    'hours',
    'the instance type comes from a launch template or mixed instances policy, which the plan does not resolve',
  );
};

function cacheNodes(input: TerraformEstimateInput, nodes: Read<number>, nodesPointer: string): void {
  const { view, builder, catalogue } = input;
  const typeRead = view.string('/node_type');
  const name = `Cache nodes${known(typeRead) ? ` (${typeRead.value})` : ''}`;
  builder.setMachine('/node_type', typeRead, awsMachine);
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  if (!known(typeRead)) return builder.unknown(name, 'hours', missingReason('/node_type', typeRead));
  if (!known(nodes)) return builder.unknown(name, 'hours', missingReason(nodesPointer, nodes));
  builder.hourly(name, nodes.value, catalogue.lookup(AWS, 'elasticache-node', region, typeRead.value));
}

const awsElasticacheCluster: TerraformEstimator = (input) => {
  const group = input.view.string('/replication_group_id');
  // A member of a replication group inherits its nodes; the group is priced instead.
  if (known(group)) return 'free';
  const nodes = input.view.number('/num_cache_nodes');
  cacheNodes(
    input,
    nodes.known && nodes.value === undefined ? { known: true, value: 1 } : nodes,
    '/num_cache_nodes',
  );
};

const awsElasticacheReplicationGroup: TerraformEstimator = (input) => {
  const { view } = input;
  const clusters = view.number('/num_cache_clusters');
  if (known(clusters)) return cacheNodes(input, clusters, '/num_cache_clusters');
  const groups = view.number('/num_node_groups');
  const replicas = view.number('/replicas_per_node_group');
  if (known(groups) && replicas.known) {
    return cacheNodes(
      input,
      { known: true, value: groups.value * ((replicas.value ?? 0) + 1) },
      '/num_node_groups',
    );
  }
  cacheNodes(
    input,
    clusters.known ? groups : clusters,
    clusters.known ? '/num_node_groups' : '/num_cache_clusters',
  );
};

const awsEip: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'Public IPv4 address', 'hours');
  if (region === undefined) return;
  input.builder.hourly(
    'Public IPv4 address',
    1,
    input.catalogue.lookup(AWS, 'public-ipv4', region, 'address'),
  );
};

const awsDynamodbTable: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const region = requireRegion(input, 'Table capacity', 'capacity unit-hours');
  if (region === undefined) return;
  const mode = view.string('/billing_mode');
  if (!mode.known)
    return builder.unknown('Table capacity', 'capacity unit-hours', 'billing_mode is unknown until apply');
  if ((mode.value ?? 'PROVISIONED') === 'PROVISIONED') {
    const capacity = (pointer: string, label: string, key: 'read' | 'write') => {
      const units = view.number(pointer);
      const name = `${label} (${key === 'read' ? 'RCU' : 'WCU'})`;
      if (!known(units)) return builder.unknown(name, 'capacity unit-hours', missingReason(pointer, units));
      builder.hourly(name, units.value, catalogue.lookup(AWS, 'dynamodb-provisioned', region, key));
    };
    capacity('/read_capacity', 'Provisioned read capacity', 'read');
    capacity('/write_capacity', 'Provisioned write capacity', 'write');
    const indexes = view.length('/global_secondary_index') ?? 0;
    for (let index = 0; index < indexes; index += 1) {
      const indexName = view.string(`/global_secondary_index/${index}/name`);
      const label = `Index ${known(indexName) ? indexName.value : index}`;
      capacity(`/global_secondary_index/${index}/read_capacity`, `${label} read capacity`, 'read');
      capacity(`/global_secondary_index/${index}/write_capacity`, `${label} write capacity`, 'write');
    }
  } else {
    builder.usage(
      'On-demand read request units',
      '1M requests',
      catalogue.lookup(AWS, 'dynamodb-usage', region, 'read-request-units'),
    );
    builder.usage(
      'On-demand write request units',
      '1M requests',
      catalogue.lookup(AWS, 'dynamodb-usage', region, 'write-request-units'),
    );
  }
  builder.usage('Table storage', 'GB-month', catalogue.lookup(AWS, 'dynamodb-usage', region, 'storage'));
};

const awsS3Bucket: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'Standard storage', 'GB-month');
  if (region === undefined) return;
  input.builder.usage(
    'Standard storage',
    'GB-month',
    input.catalogue.lookup(AWS, 's3-usage', region, 'storage'),
  );
  input.builder.usage(
    'PUT, COPY, POST, LIST requests',
    '1,000 requests',
    input.catalogue.lookup(AWS, 's3-usage', region, 'put-requests'),
  );
  input.builder.usage(
    'GET and other requests',
    '1,000 requests',
    input.catalogue.lookup(AWS, 's3-usage', region, 'get-requests'),
  );
};

const awsLambdaFunction: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'Requests', '1M requests');
  if (region === undefined) return;
  const memory = input.view.number('/memory_size');
  input.builder.usage(
    'Requests',
    '1M requests',
    input.catalogue.lookup(AWS, 'lambda-usage', region, 'requests'),
  );
  input.builder.usage(
    `Duration${known(memory) ? ` (${memory.value} MB)` : ''}`,
    'GB-second',
    input.catalogue.lookup(AWS, 'lambda-usage', region, 'gb-second'),
  );
};

const awsKmsKey: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'Customer managed key', 'months');
  if (region === undefined) return;
  input.builder.fixed(
    'Customer managed key',
    'months',
    1,
    input.catalogue.lookup(AWS, 'kms-key', region, 'key'),
  );
};

const awsSecretsManagerSecret: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'Secret', 'months');
  if (region === undefined) return;
  input.builder.fixed(
    'Secret',
    'months',
    1,
    input.catalogue.lookup(AWS, 'secrets-manager', region, 'secret'),
  );
};

/** Estimators for AWS resource types, by Terraform type. */
export const awsEstimators: Record<string, TerraformEstimator> = {
  aws_instance: awsInstance,
  aws_ebs_volume: awsEbsVolume,
  aws_db_instance: awsDbInstance,
  aws_rds_cluster_instance: awsRdsClusterInstance,
  aws_rds_cluster: awsRdsCluster,
  aws_nat_gateway: awsNatGateway,
  aws_lb: awsLb,
  aws_alb: awsLb,
  aws_elb: (input) => loadBalancer(input, 'classic'),
  aws_eks_cluster: awsEksCluster,
  aws_eks_node_group: awsEksNodeGroup,
  aws_autoscaling_group: awsAutoscalingGroup,
  aws_elasticache_cluster: awsElasticacheCluster,
  aws_elasticache_replication_group: awsElasticacheReplicationGroup,
  aws_eip: awsEip,
  aws_dynamodb_table: awsDynamodbTable,
  aws_s3_bucket: awsS3Bucket,
  aws_lambda_function: awsLambdaFunction,
  aws_kms_key: awsKmsKey,
  aws_secretsmanager_secret: awsSecretsManagerSecret,
};

/** AWS types that cost nothing by themselves (configuration objects, networking glue, IAM). */
export const awsFreeTypes = [
  'aws_iam_*',
  'aws_s3_bucket_*',
  'aws_security_group',
  'aws_security_group_rule',
  'aws_vpc_security_group_*',
  'aws_vpc',
  'aws_vpc_dhcp_options*',
  'aws_subnet',
  'aws_route',
  'aws_route_table',
  'aws_route_table_association',
  'aws_main_route_table_association',
  'aws_internet_gateway',
  'aws_egress_only_internet_gateway',
  'aws_default_*',
  'aws_network_acl*',
  'aws_db_subnet_group',
  'aws_db_parameter_group',
  'aws_db_option_group',
  'aws_rds_cluster_parameter_group',
  'aws_elasticache_subnet_group',
  'aws_elasticache_parameter_group',
  'aws_lb_listener',
  'aws_lb_listener_rule',
  'aws_lb_target_group',
  'aws_lb_target_group_attachment',
  'aws_alb_listener',
  'aws_alb_listener_rule',
  'aws_alb_target_group',
  'aws_alb_target_group_attachment',
  'aws_launch_template',
  'aws_launch_configuration',
  'aws_key_pair',
  'aws_eip_association',
  'aws_volume_attachment',
  'aws_autoscaling_policy',
  'aws_kms_alias',
  'aws_eks_addon',
  'aws_eks_access_entry',
  'aws_eks_access_policy_association',
  'aws_ebs_encryption_by_default',
];
