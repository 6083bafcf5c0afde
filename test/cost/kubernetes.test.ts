import { describe, expect, it } from 'vitest';
import { runsPerMonth } from '../../src/cost/cron.js';
import { podRequests } from '../../src/cost/kubernetes.js';
import { parseQuantity } from '../../src/cost/quantity.js';
import { estimateFixture, factOf } from './helpers.js';

// GKE Autopilot us-central1 (the default profile): $0.0445 per vCPU-hour, $0.0049225 per GiB-hour.
const cpuHour = 0.0445;
const memoryHour = 0.0049225;

describe('Kubernetes workload estimates (fixtures/cost/k8s-workloads.yaml)', async () => {
  const { byId } = await estimateFixture('fixtures/cost/k8s-workloads.yaml');

  it('prices requests × replicas, counting init containers and native sidecars as the scheduler does', () => {
    // max(0.5 app + 0.25 sidecar, 2 init) = 2 vCPU; max(1 GiB + 0.25 GiB, 1 GiB) = 1.25 GiB; 3 replicas.
    expect(factOf(byId, 'Deployment/shop/web').monthlyAfter).toBeCloseTo(
      3 * 730 * (2 * cpuHour + 1.25 * memoryHour),
      3,
    );
  });

  it('uses limits where requests are missing, and prices volume claim templates per replica', () => {
    const postgres = factOf(byId, 'StatefulSet/shop/postgres');
    expect(postgres.monthlyAfter).toBeCloseTo(2 * 730 * (2 * cpuHour + 8 * memoryHour) + 2 * 100 * 0.1, 3);
  });

  it('an autoscaled workload is unknown with the autoscaler range as the reason', () => {
    expect(factOf(byId, 'Deployment/shop/api')).toMatchObject({
      status: 'unknown',
      monthlyAfter: null,
      unknownReason: 'replicas are autoscaled by a HorizontalPodAutoscaler between 2 and 10',
    });
  });

  it('prices a DaemonSet by its node count annotation and a CronJob by its schedule and run hours', () => {
    expect(factOf(byId, 'DaemonSet/monitoring/node-exporter').monthlyAfter).toBeCloseTo(
      6 * 730 * (0.1 * cpuHour + 0.125 * memoryHour),
      3,
    );
    // Daily at 02:00: 365 runs a year = 30.4167 runs a month, half an hour each.
    expect(factOf(byId, 'CronJob/shop/nightly-report').monthlyAfter).toBeCloseTo(
      (365 / 12) * 0.5 * (2 * cpuHour + 4 * memoryHour),
      3,
    );
  });

  it('prices claims, flags LoadBalancer Services as unknown and leaves configuration free', () => {
    expect(factOf(byId, 'PersistentVolumeClaim/shop/uploads').monthlyAfter).toBe(5);
    expect(factOf(byId, 'Service/shop/web').status).toBe('unknown');
    expect(factOf(byId, 'ConfigMap/shop/web-config').status).toBe('free');
  });

  it('configured unit costs and node counts replace the profile', async () => {
    const custom = await estimateFixture('policies/cost/tests/k8s-daemonset-unknown-nodes.yaml', {
      pricing: [],
      kubernetes: { cpuHour: 0.05, memoryGiBHour: 0.01, daemonSetNodes: 10 },
    });
    expect(factOf(custom.byId, 'DaemonSet/observability/log-shipper').monthlyAfter).toBeCloseTo(
      10 * 730 * (0.1 * 0.05 + 0.125 * 0.01),
      3,
    );
    const unset = await estimateFixture('policies/cost/tests/k8s-daemonset-unknown-nodes.yaml');
    expect(factOf(unset.byId, 'DaemonSet/observability/log-shipper').unknownReason).toMatch(
      /set cost.kubernetes.daemonSetNodes or the parapet.dev\/cost-nodes annotation/,
    );
  });

  it('the EKS Fargate profile uses its own unit costs', async () => {
    const fargate = await estimateFixture('policies/cost/tests/k8s-small-deployment.yaml', {
      pricing: [],
      kubernetes: { profile: 'eks-fargate-us-east-1' },
    });
    expect(factOf(fargate.byId, 'Deployment/shop/checkout').monthlyAfter).toBeCloseTo(
      3 * 730 * (0.25 * 0.04048 + 0.5 * 0.004445),
      3,
    );
  });
});

describe('pod requests', () => {
  it('a container without requests or limits makes the cost unknown', () => {
    expect(podRequests({ containers: [{ name: 'app', image: 'nginx:1.27' }] })).toEqual({
      reason: 'container "app" sets no cpu request or limit',
    });
  });
  it('adds pod overhead', () => {
    const requests = podRequests({
      containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' } } }],
      overhead: { cpu: '250m', memory: '120Mi' },
    });
    expect(requests).toEqual({ cpu: 1.25, memory: 2 ** 30 + 120 * 2 ** 20 });
  });
});

describe('quantities', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1e3', 1000],
    ['100k', 100_000],
  ])('%s = %d', (text, value) => expect(parseQuantity(text)).toBeCloseTo(value, 6));
  it('rejects what is not a quantity', () => {
    expect(parseQuantity('1 GB')).toBeUndefined();
    expect(parseQuantity('-1')).toBeUndefined();
    expect(parseQuantity('lots')).toBeUndefined();
  });
});

describe('CronJob schedules', () => {
  it.each([
    ['0 * * * *', 730],
    ['@hourly', 730],
    ['*/15 * * * *', 2920],
    ['0 2 * * *', 365 / 12],
    ['0 9 * * 1-5', (261 * 730) / 8760],
    ['30 6 1 * *', 1],
    ['0 0 1 1 *', 1 / 12],
    ['CRON_TZ=Europe/Berlin 0 3 * * SUN', (52 * 730) / 8760],
  ])('%s fires %d times a month', (schedule, runs) => expect(runsPerMonth(schedule)).toBeCloseTo(runs, 6));
  it('rejects malformed schedules with the reason', () => {
    expect(() => runsPerMonth('0 25 * * *')).toThrow(/out of range/);
    expect(() => runsPerMonth('every day')).toThrow(/five fields/);
  });
});
