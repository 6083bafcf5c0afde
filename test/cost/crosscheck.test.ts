import { describe, expect, it } from 'vitest';
import { estimateFixture, factOf } from './helpers.js';

/**
 * Published on-demand list prices, typed from the providers' pricing pages independently of the
 * catalogue, against what the estimator computes for a plan that creates exactly those resources.
 */
const published = [
  {
    id: 'aws_instance.t3_medium',
    component: /Instance usage/,
    hourly: 0.0416,
    source: 'https://aws.amazon.com/ec2/pricing/on-demand/ (us-east-1, Linux, t3.medium $0.0416/h)',
  },
  {
    id: 'aws_instance.m5_large',
    component: /Instance usage/,
    hourly: 0.096,
    source: 'https://aws.amazon.com/ec2/pricing/on-demand/ (us-east-1, Linux, m5.large $0.096/h)',
  },
  {
    id: 'aws_db_instance.mysql_single_az',
    component: /Database instance/,
    hourly: 0.136,
    source: 'https://aws.amazon.com/rds/mysql/pricing/ (us-east-1, db.t3.large Single-AZ $0.136/h)',
  },
  {
    id: 'aws_db_instance.mysql_multi_az',
    component: /Database instance/,
    hourly: 0.272,
    source: 'https://aws.amazon.com/rds/mysql/pricing/ (us-east-1, db.t3.large Multi-AZ $0.272/h)',
  },
  {
    id: 'aws_nat_gateway.egress',
    component: /^NAT gateway$/,
    hourly: 0.045,
    source: 'https://aws.amazon.com/vpc/pricing/ (us-east-1, NAT gateway $0.045/h)',
  },
  {
    id: 'aws_lb.ingress',
    component: /Load balancer \(application\)/,
    hourly: 0.0225,
    source: 'https://aws.amazon.com/elasticloadbalancing/pricing/ (us-east-1, ALB $0.0225/h)',
  },
  {
    id: 'aws_eks_cluster.platform',
    component: /EKS cluster/,
    hourly: 0.1,
    source: 'https://aws.amazon.com/eks/pricing/ ($0.10 per cluster-hour)',
  },
];
const perGbMonth = [
  {
    id: 'aws_ebs_volume.gp3_100',
    component: /Volume storage \(gp3\)/,
    gb: 100,
    price: 0.08,
    source: 'https://aws.amazon.com/ebs/pricing/ (us-east-1, gp3 $0.08/GB-month)',
  },
  {
    id: 'aws_ebs_volume.gp2_100',
    component: /Volume storage \(gp2\)/,
    gb: 100,
    price: 0.1,
    source: 'https://aws.amazon.com/ebs/pricing/ (us-east-1, gp2 $0.10/GB-month)',
  },
];

describe('cross-check against published list prices', async () => {
  const { byId } = await estimateFixture('fixtures/cost/plan-crosscheck.json');
  for (const row of published) {
    it(`${row.id} = ${row.hourly}/h × 730 (${row.source})`, () => {
      const fact = factOf(byId, row.id);
      const component = fact.components.find((c) => c.phase === 'after' && row.component.test(c.name));
      expect(component, `component ${row.component} of ${row.id}`).toBeDefined();
      expect(component!.unitPrice).toBeCloseTo(row.hourly, 10);
      expect(component!.monthly).toBeCloseTo(row.hourly * 730, 4);
    });
  }
  for (const row of perGbMonth) {
    it(`${row.id} = ${row.gb} GB × ${row.price}/GB-month (${row.source})`, () => {
      const fact = factOf(byId, row.id);
      expect(fact.monthlyAfter).toBeCloseTo(row.gb * row.price, 4);
      expect(fact.components.find((c) => row.component.test(c.name))?.unitPrice).toBe(row.price);
    });
  }
});
