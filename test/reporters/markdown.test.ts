import { describe, expect, it } from 'vitest';
import { markdownReporter, mdText } from '../../src/reporters/markdown.js';
import type { Finding } from '../../src/model/finding.js';
import { summarize } from '../../src/model/result.js';
import { expectGolden, goldenOptions } from './golden.js';
import { sampleResult } from './sample-result.js';

describe('markdown reporter', () => {
  const md = markdownReporter.render(sampleResult(), goldenOptions);

  it('matches the golden file', () => {
    expectGolden('sample.md', md);
  });

  it('leads with the verdict and a severity by status table', () => {
    const lines = md.split('\n');
    expect(lines[0]).toBe('## parapet: ❌ 5 findings must be fixed');
    expect(md).toContain(
      '| Severity | ❌ fail | 💥 error | ❔ unknown | ⚠️ warn | 📝 audit | 🛡️ waived | ✔️ approved |',
    );
    expect(md).toContain('| critical | 1 | 0 | 0 | 0 | 0 | 0 | 1 |');
  });

  it('shows the cost delta with the largest changes and what could not be estimated', () => {
    expect(md).toContain('Monthly cost: $1,840.25 → $2,252.73, **+$412.48/month** (+22.4%)');
    expect(md).toContain('| `module.db.aws_db_instance.main` | $1,203.40 | $1,406.08 | +$202.68 |');
    expect(md).toContain('Not estimated (1): `aws_instance.batch` (instance\\_type unknown until apply)');
    const noCost = sampleResult();
    noCost.extras = {};
    expect(markdownReporter.render(noCost, goldenOptions)).not.toContain('Cost');
  });

  it('puts gating findings first and escapes markup from messages', () => {
    const attention = md.slice(md.indexOf('### Needs attention'), md.indexOf('<details>'));
    const rows = attention
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('| ❌') ||
          line.startsWith('| 💥') ||
          line.startsWith('| ❔') ||
          line.startsWith('| ⚠️'),
      );
    expect(rows.map((row) => row.split(' | ')[2])).toEqual([
      '`k8s-rbac-wildcard`',
      '`tf-s3-public-access-block`',
      '`pss-baseline-privileged`',
      '`image-tag-latest`',
      '`rego-required-labels`',
      '`tf-rds-encrypted`',
      '`pss-restricted-run-as-non-root`',
    ]);
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script&gt;alert("x")&lt;/script&gt; &amp; pods');
    expect(mdText('a|b *c* `d` <e>')).toBe('a\\|b \\*c\\* \\`d\\` &lt;e&gt;');
  });

  it('lists waivers with owner and expiry in a collapsible section', () => {
    expect(md).toContain('<details><summary>Waivers in use (1)</summary>');
    expect(md).toContain(
      '| `pss-baseline-host-namespaces` | `DaemonSet/monitoring/node-exporter` | team-observability | 2099-12-31 | node-exporter reads host network statistics | OBS-1182 |',
    );
  });

  it('stays under the GitHub comment limit on a large result, saying what it left out', () => {
    const big = sampleResult();
    const template = big.findings.find((f) => f.status === 'fail')!;
    const many: Finding[] = Array.from({ length: 5000 }, (_, i) => ({
      ...template,
      path: `/spec/template/spec/containers/${i}/securityContext/privileged`,
      resource: { ...template.resource, id: `Deployment/shop/web-${String(i).padStart(4, '0')}` },
    }));
    big.findings = many;
    big.summary = summarize(many, 5000, big.policies.length);
    const text = markdownReporter.render(big, goldenOptions);
    expect(text.length).toBeLessThan(65_536);
    expect(text).toMatch(/…\d+ more findings not shown; see the full report/);
    expect(text).toContain('## parapet: ❌ 5000 findings must be fixed');
  });
});
