import { describe, expect, it } from 'vitest';
import { junitReporter, xmlEscape } from '../../src/reporters/junit.js';
import { expectGolden, goldenOptions } from './golden.js';
import { sampleResult } from './sample-result.js';

describe('junit reporter', () => {
  const xml = junitReporter.render(sampleResult(), goldenOptions);

  it('matches the golden file', () => {
    expectGolden('sample.junit.xml', xml);
  });

  it('has one test case per evaluated policy and resource, grouped by file', () => {
    const result = sampleResult();
    const evaluatedPairs = [...result.evaluated.values()].reduce((n, ids) => n + ids.length, 0);
    expect(xml.match(/<testcase /g)).toHaveLength(evaluatedPairs);
    expect(xml.match(/<testsuite /g)).toHaveLength(new Set(result.resources.map((r) => r.file)).size);
    expect(xml).toContain(
      '<testsuites name="parapet (parapet 1.0.0)" tests="' +
        evaluatedPairs +
        '" failures="4" errors="1" skipped="4" time="0">',
    );
  });

  it('fails enforced findings, errors unevaluated policies, skips accepted ones with the reason', () => {
    expect(xml).toMatch(
      /<testcase name="k8s-rbac-wildcard" classname="ClusterRole\/ops-admin" file="k8s\/rbac.yaml" time="0">\n\s+<failure message="ClusterRole\/ops-admin grants verbs \[&quot;\*&quot;\] on &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; pods" type="critical">/,
    );
    expect(xml).toMatch(
      /<testcase name="rego-required-labels" classname="Deployment\/shop\/web"[^>]*>\n\s+<error message="policy could not be evaluated/,
    );
    expect(xml).toContain(
      '<skipped message="waived by team-observability until 2099-12-31: node-exporter reads host network statistics (OBS-1182)"/>',
    );
    expect(xml).toMatch(
      /classname="StatefulSet\/shop\/worker"[^>]*>\n\s+<skipped message="known from the baseline"\/>/,
    );
    // A warn-mode finding passes but is visible in the output.
    expect(xml).toMatch(
      /<testcase name="pss-restricted-run-as-non-root"[^>]*>\n\s+<system-out>WARN \[medium\]/,
    );
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    expect(xmlEscape('a<b>&"c"\u0001\u001b[31m')).toBe('a&lt;b&gt;&amp;&quot;c&quot;[31m');
  });
});
