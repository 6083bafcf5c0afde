import { describe, expect, it } from 'vitest';
import { buildCostReport } from '../../src/cost/report.js';
import { estimateFixture, factOf } from './helpers.js';

describe('Terraform plan estimates (fixtures/cost/plan-aws.json, us-east-1)', async () => {
  const { resources, byId } = await estimateFixture('fixtures/cost/plan-aws.json');

  it('prices a create from the planned instance type and root volume', () => {
    const web = factOf(byId, 'aws_instance.web[0]');
    expect(web).toMatchObject({
      status: 'priced',
      monthlyBefore: 0,
      monthlyAfter: 72.48,
      delta: 72.48,
      currency: 'USD',
    });
    expect(web.components.map((c) => [c.name, c.monthly])).toEqual([
      ['Instance usage (Linux/UNIX, on-demand, m5.large)', 70.08],
      ['Root volume storage (gp3)', 2.4],
    ]);
    expect(web.machine).toEqual({ type: 'm5.large', family: 'm5', size: 'large', path: '/instance_type' });
  });

  it('prices both sides of an update and lists T3 surplus credits as usage-based', () => {
    const bastion = factOf(byId, 'aws_instance.bastion');
    expect(bastion).toMatchObject({ monthlyBefore: 31.168, monthlyAfter: 61.536, delta: 30.368 });
    const credits = bastion.components.filter((c) => c.usageBased);
    expect(credits.map((c) => [c.phase, c.unitPrice, c.monthly])).toEqual([
      ['before', 0.05, null],
      ['after', 0.05, null],
    ]);
  });

  it('doubles the instance and storage price when a replace turns on Multi-AZ', () => {
    expect(factOf(byId, 'aws_db_instance.orders')).toMatchObject({
      monthlyBefore: 110.78,
      monthlyAfter: 221.56,
      delta: 110.78,
    });
  });

  it('prices a delete as savings and keeps a no-op at zero delta', () => {
    expect(factOf(byId, 'aws_db_instance.analytics')).toMatchObject({
      monthlyBefore: 422.5,
      monthlyAfter: 0,
      delta: -422.5,
    });
    expect(factOf(byId, 'aws_instance.legacy')).toMatchObject({
      monthlyBefore: 78,
      monthlyAfter: 78,
      delta: 0,
    });
  });

  it('bills gp3 IOPS above 3,000 and throughput above 125 MB/s', () => {
    const data = factOf(byId, 'aws_ebs_volume.data');
    expect(data.components.map((c) => [c.quantity, c.unitPrice, c.monthly])).toEqual([
      [500, 0.08, 40],
      [3000, 0.005, 15],
      [125, 0.04, 5],
    ]);
    expect(factOf(byId, 'aws_ebs_volume.logs')).toMatchObject({
      monthlyBefore: 20,
      monthlyAfter: 16,
      delta: -4,
    });
  });

  it('says why a cost is unknown instead of guessing, and keeps the priced part', () => {
    const batch = factOf(byId, 'aws_instance.batch');
    expect(batch).toMatchObject({
      status: 'unknown',
      monthlyAfter: null,
      delta: null,
      unknownReason: 'instance_type is unknown until apply',
    });
    expect(batch.machine).toEqual({ type: null, family: null, size: null, path: '/instance_type' });
    expect(batch.components.find((c) => c.name.startsWith('Root volume'))?.monthly).toBe(2.4);
  });

  it('lists usage-based charges with their unit price and never adds them up', () => {
    const bucket = factOf(byId, 'aws_s3_bucket.assets');
    expect(bucket).toMatchObject({ status: 'priced', monthlyAfter: 0 });
    expect(bucket.components.every((c) => c.usageBased && c.monthly === null && c.unitPrice !== null)).toBe(
      true,
    );
    expect(
      factOf(byId, 'aws_nat_gateway.main').components.map((c) => [c.name, c.monthly, c.unitPrice]),
    ).toEqual([
      ['NAT gateway', 32.85, 0.045],
      ['NAT gateway data processed', null, 0.045],
    ]);
  });

  it('separates free and unsupported resources from the totals', () => {
    expect(factOf(byId, 'aws_security_group.web').status).toBe('free');
    expect(factOf(byId, 'aws_route53_zone.internal')).toMatchObject({
      status: 'unsupported',
      monthlyAfter: null,
    });
    const report = buildCostReport(resources, 'USD');
    expect(report.total).toEqual({ monthlyBefore: 735.448, monthlyAfter: null, delta: null });
    expect(report.known).toEqual({
      monthlyBefore: 735.448,
      monthlyAfter: 1005.091,
      delta: 269.643,
      afterLowerBound: 1007.491,
    });
    expect(report.unknown).toEqual([
      {
        id: 'aws_instance.batch',
        reason: 'instance_type is unknown until apply',
        file: 'fixtures/cost/plan-aws.json',
      },
    ]);
    expect(report.unsupported).toEqual([
      { id: 'aws_route53_zone.internal', kind: 'aws_route53_zone', file: 'fixtures/cost/plan-aws.json' },
    ]);
    expect(report.free).toBe(1);
  });
});

describe('regions', () => {
  it('an unknown provider region makes every regional price unknown with the reason', async () => {
    const { byId } = await estimateFixture('fixtures/cost/plan-unknown-region.json');
    expect(factOf(byId, 'aws_instance.worker')).toMatchObject({
      status: 'unknown',
      unknownReason:
        'the region is unknown: the provider configuration sets none and availability_zone is unknown until apply',
    });
    expect(factOf(byId, 'aws_nat_gateway.egress').unknownReason).toBe(
      'the region is not set in the plan or its provider configuration',
    );
  });

  it('a region missing from the catalogue is unknown, while global prices still apply', async () => {
    const { byId } = await estimateFixture('fixtures/cost/plan-uncatalogued-region.json');
    expect(factOf(byId, 'aws_instance.worker').unknownReason).toBe(
      'region ap-south-1 has no ec2-instance prices in the catalogue',
    );
    expect(factOf(byId, 'aws_eks_cluster.mumbai')).toMatchObject({ status: 'priced', monthlyAfter: 73 });
  });
});

describe('Google Cloud and Azure plans', () => {
  it('prices GCE predefined and custom machine types, disks, Cloud SQL HA and GKE', async () => {
    const { byId } = await estimateFixture('fixtures/cost/plan-gcp.json');
    expect(factOf(byId, 'google_compute_instance.etl').monthlyAfter).toBeCloseTo(
      0.194236 * 730 + 50 * 0.1,
      3,
    );
    // custom-4-16384: 4 vCPU × 0.033174 + 16 GB × 0.004446 per hour
    expect(factOf(byId, 'google_compute_instance.custom').monthlyAfter).toBeCloseTo(
      (4 * 0.033174 + 16 * 0.004446) * 730 + 100 * 0.17,
      3,
    );
    expect(factOf(byId, 'google_compute_disk.warehouse').monthlyAfter).toBe(80);
    // db-custom-2-7680 going ZONAL -> REGIONAL doubles vCPU, memory and storage rates.
    const zonal = 2 * 730 * 0.0413 + 7.5 * 730 * 0.007 + 100 * 0.17;
    const sql = factOf(byId, 'google_sql_database_instance.orders');
    expect(sql.monthlyBefore).toBeCloseTo(zonal, 3);
    expect(sql.monthlyAfter).toBeCloseTo(2 * zonal, 3);
    expect(factOf(byId, 'google_container_node_pool.general').monthlyAfter).toBeCloseTo(
      3 * 0.134012 * 730 + 300 * 0.1,
      3,
    );
    expect(factOf(byId, 'google_container_cluster.analytics').monthlyAfter).toBe(73);
    expect(factOf(byId, 'google_compute_firewall.allow_internal').status).toBe('free');
  });

  it('prices Azure VMs with disk tiers, SQL DTU tiers and AKS; Windows licences stay unknown', async () => {
    const { byId } = await estimateFixture('fixtures/cost/plan-azure.json');
    // Standard_D2s_v5 Linux + a 64 GiB Premium SSD billed as P6.
    expect(factOf(byId, 'azurerm_linux_virtual_machine.app').monthlyAfter).toBeCloseTo(
      0.096 * 730 + 10.21,
      3,
    );
    expect(factOf(byId, 'azurerm_managed_disk.data').components[0]?.name).toBe(
      'Managed disk (StandardSSD_LRS E15, 200 GiB)',
    );
    expect(factOf(byId, 'azurerm_managed_disk.data').monthlyAfter).toBe(19.2);
    // A database takes its region from its server, which the plan entry does not carry.
    expect(factOf(byId, 'azurerm_mssql_database.orders')).toMatchObject({
      monthlyAfter: null,
      unknownReason: 'the region is not set in the plan or its provider configuration',
    });
    expect(factOf(byId, 'azurerm_kubernetes_cluster.main').monthlyAfter).toBeCloseTo(
      0.1 * 730 + 3 * 0.192 * 730,
      3,
    );
    expect(factOf(byId, 'azurerm_windows_virtual_machine.reporting').unknownReason).toBe(
      'Windows licence-included VM prices are not in the catalogue',
    );
    expect(factOf(byId, 'azurerm_resource_group.app').status).toBe('free');
  });
});
