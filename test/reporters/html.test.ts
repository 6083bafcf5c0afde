import { describe, expect, it } from 'vitest';
import { htmlEscape, htmlReporter } from '../../src/reporters/html.js';
import { expectGolden, goldenOptions } from './golden.js';
import { sampleResult } from './sample-result.js';

describe('html reporter', () => {
  const html = htmlReporter.render(sampleResult(), goldenOptions);

  it('matches the golden file', () => {
    expectGolden('sample.html', html);
  });

  it('is self-contained: no external scripts, styles, images or fonts, and a CSP that forbids them', () => {
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:;`,
    );
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
  });

  it('escapes everything that comes from inputs and policies', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('on &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; pods');
    expect(htmlEscape(`"'<>&`)).toBe('&quot;&#39;&lt;&gt;&amp;');
    const evil = sampleResult();
    evil.policies = evil.policies.map((p) => ({
      ...p,
      references: ['javascript:alert(1)', ...p.references],
    }));
    const rendered = htmlReporter.render(evil, goldenOptions);
    expect(rendered).not.toContain('href="javascript:');
  });

  it('has one table row per finding with the data the filters use', () => {
    const rows = html.match(/<tr data-order="\d+"[^>]*>/g) ?? [];
    expect(rows).toHaveLength(sampleResult().findings.length);
    expect(rows[0]).toMatch(
      /data-status="[a-z]+" data-status-rank="\d" data-severity="[a-z]+" data-severity-rank="\d" data-source="[a-z]+"/,
    );
  });

  it('lists waivers with owner, expiry and ticket, and the waiver notices', () => {
    expect(html).toContain(
      '<td>pss-baseline-host-namespaces</td><td><code>DaemonSet/monitoring/node-exporter</code></td><td>team-observability</td><td><span class="">2099-12-31</span></td><td>node-exporter reads host network statistics</td><td>OBS-1182</td><td>parapet.yaml</td>',
    );
    expect(html).toContain(
      'class="notice-warning expired">waiver for pss-restricted-* on Deployment/legacy/*',
    );
  });
});
