import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

const plan = 'fixtures/cost/plan-aws.json';

describe('parapet cost', () => {
  it('prints the JSON shape of the issue, with null where a cost is unknown', async () => {
    const { code, stdout, stderr } = await runCli(['cost', plan, '--format', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.currency).toBe('USD');
    expect(report.total).toEqual({ monthlyBefore: 735.448, monthlyAfter: null, delta: null });
    const web = report.resources.find((r: { id: string }) => r.id === 'aws_instance.web[0]');
    expect(web).toMatchObject({ monthlyBefore: 0, monthlyAfter: 72.48, delta: 72.48 });
    expect(web.components[0]).toMatchObject({
      name: 'Instance usage (Linux/UNIX, on-demand, m5.large)',
      unit: 'hours',
      phase: 'after',
      quantity: 730,
      unitPrice: 0.096,
      monthly: 70.08,
      price: {
        provider: 'aws',
        table: 'ec2-instance',
        region: 'us-east-1',
        key: 'm5.large',
        source: 'https://aws.amazon.com/ec2/pricing/on-demand/',
        date: '2024-06-01',
      },
    });
    expect(report.resources.find((r: { id: string }) => r.id === 'aws_instance.batch')).toMatchObject({
      monthlyAfter: null,
      delta: null,
      unknownReason: 'instance_type is unknown until apply',
    });
  });

  it('prints a text breakdown with totals and the usage-based, unknown and unsupported lists', async () => {
    const { code, stdout } = await runCli(['cost', plan]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'aws_db_instance.orders                           $110.78       $221.56      +$110.78\n',
    );
    expect(stdout).toContain(
      '    Database instance (mysql, db.t3.large, Multi-AZ): 730 hours × $0.272  $198.56\n',
    );
    expect(stdout).toContain('    NAT gateway data processed: $0.045 per GB (usage-based)\n');
    expect(stdout).toContain(
      'TOTAL (monthly)                                  $735.45       unknown       unknown\n',
    );
    expect(stdout).toContain(
      '  priced part: $735.45 -> $1,005.09 (+$269.64); 1 resource(s) with unknown cost\n',
    );
    expect(stdout).toContain('  not priced by parapet: aws_route53_zone.internal (aws_route53_zone)\n');
  });

  it('prints Markdown for pull request comments', async () => {
    const { stdout } = await runCli(['cost', 'fixtures/cost/plan-gcp.json', '--format', 'markdown']);
    expect(
      stdout.startsWith('### 💰 Cost estimate\n\nMonthly cost: $115.62 → $1,020.32, **+$904.70/month**\n'),
    ).toBe(true);
    expect(stdout).toContain('| `google_container_node_pool.general` | $0.00 | $323.49 | +$323.49 |\n');
    expect(stdout).toContain('| **Total** | **$115.62** | **$1,020.32** | **+$904.70** |\n');
  });

  it('names the file of every line when several plans hold the same address', async () => {
    // Two environments' plans of one module: the same addresses, told apart only by the file.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-cost-files-'));
    const staging = path.join(dir, 'staging.json');
    copyFileSync(plan, staging);
    const text = await runCli(['cost', plan, staging]);
    expect(text.code).toBe(0);
    const width = staging.length;
    expect(text.stdout.startsWith(`${'FILE'.padEnd(width)}  RESOURCE`)).toBe(true);
    expect(text.stdout).toContain(
      `${plan.padEnd(width)}  aws_db_instance.orders${' '.repeat(27)}$110.78       $221.56      +$110.78\n`,
    );
    expect(text.stdout).toContain(
      `${staging}  aws_db_instance.orders${' '.repeat(27)}$110.78       $221.56      +$110.78\n`,
    );
    expect(text.stdout).toContain(
      `  not priced by parapet: ${plan}: aws_route53_zone.internal (aws_route53_zone), ${staging}: aws_route53_zone.internal (aws_route53_zone)\n`,
    );

    const markdown = await runCli(['cost', plan, staging, '--format', 'markdown']);
    expect(markdown.stdout).toContain(
      '| File | Resource | Before | After | Change |\n| --- | --- | ---: | ---: | ---: |\n',
    );
    expect(markdown.stdout).toContain(
      `| \`${staging}\` | \`aws_db_instance.orders\` | $110.78 | $221.56 | +$110.78 |\n`,
    );
    expect(markdown.stdout).toContain(
      `- \`aws_instance.batch\` (${staging}): instance_type is unknown until apply\n`,
    );

    const json = JSON.parse((await runCli(['cost', plan, staging, '--format', 'json'])).stdout);
    expect(json.unknown).toEqual([
      { id: 'aws_instance.batch', file: plan, reason: 'instance_type is unknown until apply' },
      { id: 'aws_instance.batch', file: staging, reason: 'instance_type is unknown until apply' },
    ]);
    expect(
      json.resources
        .filter((r: { id: string }) => r.id === 'aws_db_instance.orders')
        .map((r: { file: string }) => r.file),
    ).toEqual([plan, staging]);
  });

  it('leaves the file column out for one input', async () => {
    const { stdout } = await runCli(['cost', plan]);
    expect(stdout.startsWith('RESOURCE ')).toBe(true);
  });

  it('applies parapet.yaml cost settings and a negotiated rate card', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-cost-'));
    const config = path.join(dir, 'parapet.yaml');
    // A repository's configuration may only name paths inside its own tree.
    copyFileSync('fixtures/cost/pricing-override.yaml', path.join(dir, 'pricing-override.yaml'));
    writeFileSync(
      config,
      `cost:\n  pricing: [pricing-override.yaml]\n  kubernetes:\n    daemonSetNodes: 4\n`,
    );
    const { stdout } = await runCli([
      'cost',
      plan,
      'policies/cost/tests/k8s-daemonset-unknown-nodes.yaml',
      '--config',
      config,
      '--format',
      'json',
    ]);
    const report = JSON.parse(stdout);
    expect(
      report.resources.find((r: { id: string }) => r.id === 'aws_instance.web[0]').components[0],
    ).toMatchObject({ unitPrice: 0.0816, price: { source: 'contract EDP-2024-117, schedule B' } });
    expect(
      report.resources.find((r: { id: string }) => r.id === 'DaemonSet/observability/log-shipper')
        .monthlyAfter,
    ).toBeCloseTo(4 * 730 * (0.1 * 0.0445 + 0.125 * 0.0049225), 3);
  });

  it('bad usage and bad pricing files exit 2 with one line naming the problem', async () => {
    const format = await runCli(['cost', plan, '--format', 'html']);
    expect(format).toMatchObject({
      code: 2,
      stderr: 'error: --format: unknown format "html" (known: text, markdown, json)\n',
    });
    const pricing = await runCli(['cost', plan, '--pricing', 'fixtures/cost/pricing-invalid.yaml']);
    expect(pricing).toMatchObject({
      code: 2,
      stderr:
        'error: fixtures/cost/pricing-invalid.yaml: /tables/ec2-instance/regions/us-east-1/m5/large must be number\n',
    });
  });
});

describe('cost findings in parapet check', () => {
  it('reports cost findings next to security findings and fills the cost extras', async () => {
    const { code, stdout } = await runCli(['check', plan, '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    const ids = new Set(report.findings.map((f: { policyId: string }) => f.policyId));
    expect(ids.has('cost-gp2-to-gp3')).toBe(true);
    expect(ids.has('cost-previous-generation')).toBe(true);
    expect([...ids].some((id) => !String(id).includes('cost'))).toBe(true);
    expect(report.cost.known.delta).toBe(269.643);
  });

  it('a plan over budget fails until it is approved', async () => {
    const over = 'policies/cost/tests/plan-over-budget.json';
    // The budget is site-specific: without one configured the policy is inactive.
    const config = path.join(mkdtempSync(path.join(os.tmpdir(), 'parapet-budget-')), 'parapet.yaml');
    writeFileSync(config, 'version: 1\nparameters: { cost-plan-delta-budget: { budget: 500 } }\n');
    const inactive = await runCli(['check', over, '--select', 'cost-plan-delta-budget', '--format', 'json']);
    expect(inactive.code).toBe(0);
    expect(JSON.parse(inactive.stdout).notices).toContainEqual(
      expect.objectContaining({ code: 'policy-inactive' }),
    );
    const blocked = await runCli([
      'check',
      over,
      '--config',
      config,
      '--select',
      'cost-plan-delta-budget',
      '--format',
      'json',
    ]);
    expect(blocked.code).toBe(1);
    const finding = JSON.parse(blocked.stdout).findings[0];
    expect(finding).toMatchObject({
      policyId: 'cost-plan-delta-budget',
      status: 'fail',
      message: 'Plan raises the monthly cost by +$845.76, above the $500.00 budget',
    });
    // 3 × (m5.2xlarge 730 h × $0.384 + 20 GB gp3 × $0.08) = 3 × $281.92
    const approved = await runCli([
      'check',
      over,
      '--config',
      config,
      '--select',
      'cost-plan-delta-budget',
      '--approve',
      'cost-plan-delta-budget:*',
      '--format',
      'json',
    ]);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout).findings[0].status).toBe('approved');
  });
});
