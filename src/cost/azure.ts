import { isQuote } from './catalogue.js';
import { missingReason, type Read } from './state.js';
import { requireRegion, type TerraformEstimateInput, type TerraformEstimator } from './terraform-context.js';
import type { MachineName } from './types.js';

const AZURE = 'azurerm';

function known<T>(read: Read<T>): read is { known: true; value: T } {
  return read.known && read.value !== undefined;
}

/** `Standard_D4s_v5` -> family D?s_v5-ish split: family `Standard_D*s_v5`, size `4`. */
export function azureMachine(size: string): MachineName {
  const match = /^(Standard|Basic)_([A-Z]+)(\d+)(.*)$/.exec(size);
  if (!match) return { type: size, family: size, size: '' };
  return { type: size, family: `${match[1]}_${match[2]}${match[4]}`, size: match[3] ?? '' };
}

/** Managed disk tiers by maximum GiB, smallest first: a disk is billed at the first tier it fits. */
const diskTiers: Record<string, Array<[string, number]>> = {
  Premium_LRS: [
    ['P4', 32],
    ['P6', 64],
    ['P10', 128],
    ['P15', 256],
    ['P20', 512],
    ['P30', 1024],
    ['P40', 2048],
    ['P50', 4096],
  ],
  StandardSSD_LRS: [
    ['E4', 32],
    ['E6', 64],
    ['E10', 128],
    ['E15', 256],
    ['E20', 512],
    ['E30', 1024],
    ['E40', 2048],
    ['E50', 4096],
  ],
  Standard_LRS: [
    ['S4', 32],
    ['S6', 64],
    ['S10', 128],
    ['S15', 256],
    ['S20', 512],
    ['S30', 1024],
    ['S40', 2048],
    ['S50', 4096],
  ],
};

/** The billing tier of a managed disk, or why there is none. */
export function azureDiskTier(storage: string, sizeGb: number): string | { reason: string } {
  const tiers = diskTiers[storage];
  if (!tiers) return { reason: `${storage} disk prices are not in the catalogue` };
  const tier = tiers.find(([, max]) => sizeGb <= max);
  return tier
    ? tier[0]
    : { reason: `${sizeGb} GiB ${storage} disks are larger than the tiers in the catalogue` };
}

function managedDisk(
  input: TerraformEstimateInput,
  label: string,
  region: string,
  typePointer: string,
  sizePointer: string,
  count = 1,
): void {
  const { view, builder, catalogue } = input;
  const typeRead = view.string(typePointer);
  const sizeRead = view.number(sizePointer);
  if (!known(typeRead)) return builder.unknown(label, 'months', missingReason(typePointer, typeRead));
  if (!known(sizeRead))
    return builder.unknown(`${label} (${typeRead.value})`, 'months', missingReason(sizePointer, sizeRead));
  const tier = azureDiskTier(typeRead.value, sizeRead.value);
  if (typeof tier !== 'string') return builder.unknown(`${label} (${typeRead.value})`, 'months', tier.reason);
  builder.fixed(
    `${label} (${typeRead.value} ${tier}, ${sizeRead.value} GiB)`,
    'months',
    count,
    catalogue.lookup(AZURE, 'managed-disk', region, `${typeRead.value}.${tier}`),
  );
  const transactions = catalogue.lookup(AZURE, 'managed-disk-transactions', region, typeRead.value);
  if (isQuote(transactions)) builder.usage(`${label} transactions`, '10,000 transactions', transactions);
}

function vmHours(
  input: TerraformEstimateInput,
  name: string,
  region: string,
  size: string,
  count: number,
  windows: boolean,
): void {
  if (windows)
    return input.builder.unknown(
      name,
      'hours',
      'Windows licence-included VM prices are not in the catalogue',
    );
  input.builder.hourly(name, count, input.catalogue.lookup(AZURE, 'vm-linux', region, size));
}

function virtualMachine(
  windows: boolean,
  sizePointer: string,
  disk: { type: string; size: string },
): TerraformEstimator {
  return (input) => {
    const { view, builder } = input;
    const sizeRead = view.string(sizePointer);
    const sizeName = known(sizeRead) ? sizeRead.value : undefined;
    const isWindows = windows || (view.length('/os_profile_windows_config') ?? 0) > 0;
    const name = `Virtual machine (${isWindows ? 'Windows' : 'Linux'}, pay-as-you-go${sizeName ? `, ${sizeName}` : ''})`;
    builder.setMachine(sizePointer, sizeRead, azureMachine);
    const region = requireRegion(input, name, 'hours');
    if (region === undefined) return;
    const priority = view.string('/priority');
    if (sizeName === undefined) builder.unknown(name, 'hours', missingReason(sizePointer, sizeRead));
    else if (priority.known && priority.value === 'Spot')
      builder.unknown(name, 'hours', 'spot VM prices vary and are not in the catalogue');
    else vmHours(input, name, region, sizeName, 1, isWindows);
    managedDisk(input, 'OS disk', region, disk.type, disk.size);
  };
}

const azurermVirtualMachineScaleSet: TerraformEstimator = (input) => {
  const { view, builder } = input;
  const sizeRead = view.string('/sku');
  const instances = view.number('/instances');
  const sizeName = known(sizeRead) ? sizeRead.value : undefined;
  const name = `Scale set instances (Linux, pay-as-you-go${sizeName ? `, ${sizeName}` : ''})`;
  builder.setMachine('/sku', sizeRead, azureMachine);
  const region = requireRegion(input, name, 'hours');
  if (region === undefined) return;
  if (sizeName === undefined) return builder.unknown(name, 'hours', missingReason('/sku', sizeRead));
  if (!known(instances)) return builder.unknown(name, 'hours', missingReason('/instances', instances));
  vmHours(input, name, region, sizeName, instances.value, false);
  managedDisk(
    input,
    'OS disks',
    region,
    '/os_disk/0/storage_account_type',
    '/os_disk/0/disk_size_gb',
    instances.value,
  );
};

const azurermManagedDisk: TerraformEstimator = (input) => {
  const region = requireRegion(input, 'Managed disk', 'months');
  if (region === undefined) return;
  managedDisk(input, 'Managed disk', region, '/storage_account_type', '/disk_size_gb');
};

const azurermMssqlDatabase: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const skuRead = view.string('/sku_name');
  const name = `SQL database${known(skuRead) ? ` (${skuRead.value})` : ''}`;
  const region = requireRegion(input, name, 'months');
  if (region === undefined) return;
  if (!known(skuRead)) return builder.unknown(name, 'months', missingReason('/sku_name', skuRead));
  builder.fixed(name, 'months', 1, catalogue.lookup(AZURE, 'sql-database', region, skuRead.value));
};

function nodePool(input: TerraformEstimateInput, base: string, region: string, label: string): void {
  const { view, builder } = input;
  const sizeRead = view.string(`${base}/vm_size`);
  const count = view.number(`${base}/node_count`);
  const sizeName = known(sizeRead) ? sizeRead.value : undefined;
  const name = `${label} (Linux, pay-as-you-go${sizeName ? `, ${sizeName}` : ''})`;
  builder.setMachine(`${base}/vm_size`, sizeRead, azureMachine);
  const osType = view.string(`${base}/os_type`);
  const priority = view.string(`${base}/priority`);
  if (sizeName === undefined)
    return builder.unknown(name, 'hours', missingReason(`${base}/vm_size`, sizeRead));
  if (!known(count))
    return builder.unknown(
      name,
      'hours',
      count.known
        ? 'node_count is not set (autoscaled pools size themselves)'
        : 'node_count is unknown until apply',
    );
  if (priority.known && priority.value === 'Spot')
    return builder.unknown(name, 'hours', 'spot VM prices vary and are not in the catalogue');
  vmHours(input, name, region, sizeName, count.value, osType.known && osType.value === 'Windows');
  const diskType = view.string(`${base}/os_disk_type`);
  if (diskType.known && diskType.value === 'Ephemeral') return;
  builder.unknown(
    `${label} OS disks`,
    'months',
    'the managed OS disk tier is chosen by AKS from the VM size and is not in the plan',
  );
}

const azurermKubernetesCluster: TerraformEstimator = (input) => {
  const { view, builder, catalogue } = input;
  const region = requireRegion(input, 'AKS cluster management', 'hours');
  if (region === undefined) return;
  const tier = view.string('/sku_tier');
  if (!tier.known) builder.unknown('AKS cluster management', 'hours', 'sku_tier is unknown until apply');
  else
    builder.hourly(
      `AKS cluster management (${tier.value ?? 'Free'} tier)`,
      1,
      catalogue.lookup(AZURE, 'aks-cluster', region, tier.value ?? 'Free'),
    );
  nodePool(input, '/default_node_pool/0', region, 'Default node pool');
};

const azurermKubernetesClusterNodePool: TerraformEstimator = (input) => {
  // The pool's location is its cluster's; the adapter's provider region is the best evidence.
  const region = requireRegion(input, 'Node pool', 'hours');
  if (region === undefined) return;
  nodePool(input, '', region, 'Node pool');
};

/** Estimators for Azure resource types, by Terraform type. */
export const azureEstimators: Record<string, TerraformEstimator> = {
  azurerm_linux_virtual_machine: virtualMachine(false, '/size', {
    type: '/os_disk/0/storage_account_type',
    size: '/os_disk/0/disk_size_gb',
  }),
  azurerm_windows_virtual_machine: virtualMachine(true, '/size', {
    type: '/os_disk/0/storage_account_type',
    size: '/os_disk/0/disk_size_gb',
  }),
  azurerm_virtual_machine: virtualMachine(false, '/vm_size', {
    type: '/storage_os_disk/0/managed_disk_type',
    size: '/storage_os_disk/0/disk_size_gb',
  }),
  azurerm_linux_virtual_machine_scale_set: azurermVirtualMachineScaleSet,
  azurerm_managed_disk: azurermManagedDisk,
  azurerm_mssql_database: azurermMssqlDatabase,
  azurerm_kubernetes_cluster: azurermKubernetesCluster,
  azurerm_kubernetes_cluster_node_pool: azurermKubernetesClusterNodePool,
};

/** Azure types that cost nothing by themselves. */
export const azureFreeTypes = [
  'azurerm_resource_group',
  'azurerm_virtual_network',
  'azurerm_subnet',
  'azurerm_subnet_*_association',
  'azurerm_network_security_group',
  'azurerm_network_security_rule',
  'azurerm_network_interface',
  'azurerm_network_interface_*_association',
  'azurerm_role_assignment',
  'azurerm_role_definition',
  'azurerm_user_assigned_identity',
  'azurerm_mssql_server',
  'azurerm_mssql_firewall_rule',
];
