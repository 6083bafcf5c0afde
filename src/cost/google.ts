import { isQuote } from './catalogue.js';
import { missingReason, roundPrice, type Read } from './state.js';
import { requireRegion, type TerraformEstimateInput, type TerraformEstimator } from './terraform-context.js';
import type { MachineName } from './types.js';

const GOOGLE = 'google';

function known<T>(read: Read<T>): read is { known: true; value: T } {
  return read.known && read.value !== undefined;
}

/** `zones/us-central1-a/machineTypes/n2-standard-4` or `n2-standard-4` -> the bare type. */
function bareType(type: string): string {
  return type.slice(type.lastIndexOf('/') + 1);
}

/** `n2-standard-4` -> n2 / standard-4; `custom-4-16384` -> n1 / custom-4-16384. */
export function googleMachine(type: string): MachineName {
  const bare = bareType(type);
  if (bare.startsWith('custom-')) return { type: bare, family: 'n1', size: bare };
  const dash = bare.indexOf('-');
  return {
    type: bare,
    family: dash > 0 ? bare.slice(0, dash) : bare,
    size: dash > 0 ? bare.slice(dash + 1) : '',
  };
}

/** Hourly price of a machine type: the predefined price, or vCPU and memory rates for custom types. */
function machineHourly(
  input: TerraformEstimateInput,
  region: string,
  type: string,
): { price: number; lookup: ReturnType<TerraformEstimateInput['catalogue']['lookup']> } | { reason: string } {
  const { catalogue } = input;
  const bare = bareType(type);
  const custom = /^(?:([a-z0-9]+)-)?custom-(\d+)-(\d+)(-ext)?$/.exec(bare);
  if (custom) {
    const family = custom[1] ?? 'n1';
    const vcpu = catalogue.lookup(GOOGLE, 'compute-custom', region, `${family}.vcpu`);
    const memory = catalogue.lookup(GOOGLE, 'compute-custom', region, `${family}.memory`);
    if (!isQuote(vcpu)) return vcpu;
    if (!isQuote(memory)) return memory;
    if (custom[4]) return { reason: `${bare}: extended memory prices are not in the catalogue` };
    const price = roundPrice(Number(custom[2]) * vcpu.price + (Number(custom[3]) / 1024) * memory.price);
    return { price, lookup: { ...vcpu, key: bare, price, provenance: { ...vcpu.provenance, key: bare } } };
  }
  const lookup = catalogue.lookup(GOOGLE, 'compute-instance', region, bare);
  return isQuote(lookup) ? { price: lookup.price, lookup } : lookup;
}

function instanceHours(
  input: TerraformEstimateInput,
  name: string,
  count: number,
  region: string,
  type: string,
): void {
  const hourly = machineHourly(input, region, type);
  if ('reason' in hourly) input.builder.unknown(name, 'hours', hourly.reason);
  else input.builder.hourly(name, count, hourly.lookup);
}

function disk(
  input: TerraformEstimateInput,
  label: string,
  region: string,
  typePointer: string,
  sizePointer: string,
  defaultType?: string,
): void {
  const { view, builder, catalogue } = input;
  const typeRead = view.string(typePointer);
  const sizeRead = view.number(sizePointer);
  const type = typeRead.known ? (typeRead.value ?? defaultType) : undefined;
  if (type === undefined) return builder.unknown(label, 'GB-month', missingReason(typePointer, typeRead));
  if (!known(sizeRead))
    return builder.unknown(`${label} (${type})`, 'GB-month', missingReason(sizePointer, sizeRead));
  builder.fixed(
    `${label} (${type})`,
    'GB-month',
    sizeRead.value,
    catalogue.lookup(GOOGLE, 'persistent-disk', region, bareType(type)),
  );
}

const googleComputeInstance: TerraformEstimator = (input) => {
  const { view, builder } = input;
  const typeRead = view.string('/machine_type');
  const typeName = known(typeRead) ? bareType(typeRead.value) : undefined;
  const name = `VM instance (on-demand${typeName ? `, ${typeName}` : ''})`;
  builder.setMachine('/machine_type', typeRead, googleMachine);
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  const spot = view.string('/scheduling/0/provisioning_model');
  const preemptible = view.boolean('/scheduling/0/preemptible');
  if (typeName === undefined) builder.unknown(name, 'hours', missingReason('/machine_type', typeRead));
  else if ((spot.known && spot.value === 'SPOT') || (preemptible.known && preemptible.value === true)) {
    builder.unknown(name, 'hours', 'spot and preemptible VM prices vary and are not in the catalogue');
  } else instanceHours(input, name, 1, region, typeName);
  if ((view.length('/guest_accelerator') ?? 1) > 0) {
    builder.unknown(
      'GPUs',
      'hours',
      view.length('/guest_accelerator') === undefined
        ? 'guest_accelerator is unknown until apply'
        : 'GPU prices are not in the catalogue',
    );
  }
  if ((view.length('/scratch_disk') ?? 1) > 0) {
    builder.unknown(
      'Local SSD',
      'GB-month',
      view.length('/scratch_disk') === undefined
        ? 'scratch_disk is unknown until apply'
        : 'local SSD prices are not in the catalogue',
    );
  }
  const source = view.string('/boot_disk/0/source');
  // A boot disk attached from a google_compute_disk is priced with that disk.
  if (!known(source))
    disk(
      input,
      'Boot disk',
      region,
      '/boot_disk/0/initialize_params/0/type',
      '/boot_disk/0/initialize_params/0/size',
    );
};

const googleComputeDisk: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'Persistent disk', 'GB-month');
  if (region === undefined) return;
  disk(input, 'Persistent disk', region, '/type', '/size', 'pd-standard');
};

/** vCPUs and GB of memory of a Cloud SQL tier, or undefined when it is not a dedicated-core tier. */
function sqlTierShape(tier: string): { vcpu: number; memory: number } | undefined {
  const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (custom) return { vcpu: Number(custom[1]), memory: Number(custom[2]) / 1024 };
  const standard = /^db-n1-(standard|highmem)-(\d+)$/.exec(tier);
  if (standard)
    return {
      vcpu: Number(standard[2]),
      memory: Number(standard[2]) * (standard[1] === 'standard' ? 3.75 : 6.5),
    };
  return undefined;
}

/** `db-custom-2-7680` -> family `db-custom`, size `2-7680`. */
function sqlTierMachine(tier: string): MachineName {
  return {
    type: tier,
    family: tier.split('-').slice(0, 2).join('-'),
    size: tier.split('-').slice(2).join('-'),
  };
}

const googleSqlDatabaseInstance: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const tierRead = view.string('/settings/0/tier');
  const availability = view.string('/settings/0/availability_type');
  const version = view.string('/database_version');
  const highAvailability = availability.known ? availability.value === 'REGIONAL' : undefined;
  const tierName = known(tierRead) ? tierRead.value : undefined;
  const name = `Cloud SQL instance (${[tierName, highAvailability === undefined ? '' : highAvailability ? 'high availability' : 'zonal'].filter(Boolean).join(', ')})`;
  builder.setMachine('/settings/0/tier', tierRead, sqlTierMachine);
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  if (known(version) && version.value.startsWith('SQLSERVER'))
    builder.unknown(name, 'hours', 'SQL Server licence prices are not in the catalogue');
  else if (tierName === undefined)
    builder.unknown(name, 'hours', missingReason('/settings/0/tier', tierRead));
  else if (highAvailability === undefined)
    builder.unknown(name, 'hours', 'settings.availability_type is unknown until apply');
  else {
    const shape = sqlTierShape(tierName);
    if (shape) {
      const vcpu = catalogue.lookup(GOOGLE, 'cloudsql-instance', region, 'vcpu');
      const memory = catalogue.lookup(GOOGLE, 'cloudsql-instance', region, 'memory');
      const multiplier = highAvailability && isQuote(vcpu) ? (vcpu.multiAzMultiplier ?? 1) : 1;
      builder.fixed(`${name} vCPUs`, 'vCPU-hours', shape.vcpu * 730, vcpu, multiplier);
      builder.fixed(`${name} memory`, 'GB-hours', shape.memory * 730, memory, multiplier);
    } else if (highAvailability) {
      builder.unknown(
        name,
        'hours',
        `${tierName}: high-availability shared-core prices are not in the catalogue`,
      );
    } else builder.hourly(name, 1, catalogue.lookup(GOOGLE, 'cloudsql-instance', region, tierName));
  }
  const diskType = view.string('/settings/0/disk_type');
  const diskSize = view.number('/settings/0/disk_size');
  const storageName = `Cloud SQL storage${highAvailability ? ' (high availability)' : ''}`;
  if (!diskType.known)
    return builder.unknown(storageName, 'GB-month', 'settings.disk_type is unknown until apply');
  if (!known(diskSize))
    return builder.unknown(storageName, 'GB-month', missingReason('/settings/0/disk_size', diskSize));
  if (highAvailability === undefined)
    return builder.unknown(storageName, 'GB-month', 'settings.availability_type is unknown until apply');
  const storage = catalogue.lookup(GOOGLE, 'cloudsql-storage', region, diskType.value ?? 'PD_SSD');
  builder.fixed(
    `${storageName} (${diskType.value ?? 'PD_SSD'})`,
    'GB-month',
    diskSize.value,
    storage,
    highAvailability && isQuote(storage) ? (storage.multiAzMultiplier ?? 1) : 1,
  );
};

/** Zones a GKE node pool spans: its node_locations, else one when the location is a zone. */
function nodeZones(input: TerraformEstimateInput): number | { reason: string } {
  const locations = input.view.length('/node_locations');
  if (locations === undefined)
    return {
      reason: 'node_locations is unknown until apply (a regional pool runs node_count nodes in each zone)',
    };
  if (locations > 0) return locations;
  const location = input.view.string('/location');
  if (!location.known) return { reason: 'location is unknown until apply' };
  if (location.value !== undefined && /-[a-z]$/.test(location.value)) return 1;
  return {
    reason: 'the pool is regional and node_locations is not set, so the number of zones is not in the plan',
  };
}

const googleContainerCluster: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const region = requireRegion(input, 'GKE cluster management', 'hours');
  if (region === undefined) return;
  builder.hourly('GKE cluster management', 1, catalogue.lookup(GOOGLE, 'gke-cluster', region, 'cluster'));
  const autopilot = view.boolean('/enable_autopilot');
  const remove = view.boolean('/remove_default_node_pool');
  if ((autopilot.known && autopilot.value === true) || (remove.known && remove.value === true)) return;
  const count = view.number('/initial_node_count');
  const typeRead = view.string('/node_config/0/machine_type');
  const name = `Default node pool${known(typeRead) ? ` (${bareType(typeRead.value)})` : ''}`;
  if (!remove.known) return builder.unknown(name, 'hours', 'remove_default_node_pool is unknown until apply');
  if (!known(count)) return builder.unknown(name, 'hours', missingReason('/initial_node_count', count));
  if (!known(typeRead))
    return builder.unknown(name, 'hours', missingReason('/node_config/0/machine_type', typeRead));
  const zones = nodeZones(input);
  if (typeof zones !== 'number') return builder.unknown(name, 'hours', zones.reason);
  instanceHours(input, name, count.value * zones, region, typeRead.value);
};

const googleContainerNodePool: TerraformEstimator = (input) => {
  const { view, builder } = input;
  const typeRead = view.string('/node_config/0/machine_type');
  const typeName = known(typeRead) ? bareType(typeRead.value) : undefined;
  const name = `Node pool VMs (on-demand${typeName ? `, ${typeName}` : ''})`;
  builder.setMachine('/node_config/0/machine_type', typeRead, googleMachine);
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  const spot = view.boolean('/node_config/0/spot');
  const preemptible = view.boolean('/node_config/0/preemptible');
  const count = view.number('/node_count');
  const autoscaling = view.length('/autoscaling');
  let nodes: number | undefined;
  if (typeName === undefined)
    builder.unknown(name, 'hours', missingReason('/node_config/0/machine_type', typeRead));
  else if ((spot.known && spot.value) || (preemptible.known && preemptible.value))
    builder.unknown(name, 'hours', 'spot and preemptible VM prices vary and are not in the catalogue');
  else if (!known(count)) {
    const min = view.number('/autoscaling/0/min_node_count');
    const max = view.number('/autoscaling/0/max_node_count');
    builder.unknown(
      name,
      'hours',
      autoscaling
        ? `node_count is autoscaled (${known(min) ? min.value : '?'} to ${known(max) ? max.value : '?'} per zone)`
        : missingReason('/node_count', count),
    );
  } else {
    const zones = nodeZones(input);
    if (typeof zones !== 'number') builder.unknown(name, 'hours', zones.reason);
    else {
      nodes = count.value * zones;
      instanceHours(input, name, nodes, region, typeName);
    }
  }
  const diskSize = view.number('/node_config/0/disk_size_gb');
  const diskType = view.string('/node_config/0/disk_type');
  if (nodes === undefined) builder.unknown('Node boot disks', 'GB-month', 'the number of nodes is not known');
  else if (!known(diskSize))
    builder.unknown('Node boot disks', 'GB-month', missingReason('/node_config/0/disk_size_gb', diskSize));
  else if (!known(diskType))
    builder.unknown('Node boot disks', 'GB-month', missingReason('/node_config/0/disk_type', diskType));
  else
    builder.fixed(
      `Node boot disks (${diskType.value})`,
      'GB-month',
      nodes * diskSize.value,
      input.catalogue.lookup(GOOGLE, 'persistent-disk', region, diskType.value),
    );
};

const googleStorageBucket: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'Storage', 'GB-month');
  if (region === undefined) return;
  const storageClass = input.view.string('/storage_class');
  const cls = known(storageClass) ? storageClass.value : 'STANDARD';
  input.builder.usage(
    `Storage (${cls})`,
    'GB-month',
    input.catalogue.lookup(GOOGLE, 'cloud-storage-usage', region, cls),
  );
};

/** Estimators for Google Cloud resource types, by Terraform type. */
export const googleEstimators: Record<string, TerraformEstimator> = {
  google_compute_instance: googleComputeInstance,
  google_compute_disk: googleComputeDisk,
  google_sql_database_instance: googleSqlDatabaseInstance,
  google_container_cluster: googleContainerCluster,
  google_container_node_pool: googleContainerNodePool,
  google_storage_bucket: googleStorageBucket,
};

/** Google Cloud types that cost nothing by themselves. */
export const googleFreeTypes = [
  'google_compute_network',
  'google_compute_subnetwork',
  'google_compute_firewall',
  'google_compute_route',
  'google_project_service',
  'google_service_account',
  'google_service_account_key',
  'google_*_iam_*',
  'google_sql_database',
  'google_sql_user',
  'google_storage_bucket_object',
];
