import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, githubReporter } from '../../src/reporters/github.js';
import { expectGolden, goldenOptions } from './golden.js';
import { sampleResult } from './sample-result.js';

describe('github reporter', () => {
  const text = githubReporter.render(sampleResult(), goldenOptions);
  const lines = text.trimEnd().split('\n');

  it('matches the golden file', () => {
    expectGolden('sample.github.txt', text);
  });

  it('annotates failing findings as errors at file and line', () => {
    expect(lines).toContain(
      '::error file=infra/plan.json,line=41,title=tf-s3-public-access-block (high)::aws_s3_bucket.logs: aws_s3_bucket.logs has no aws_s3_bucket_public_access_block',
    );
  });

  it('uses warnings for warn/unknown, notices for baseline-known, nothing for waived, approved and audit', () => {
    const levels = lines.filter((l) => l.startsWith('::')).map((l) => l.slice(2, l.indexOf(' ')));
    expect(levels.filter((l) => l === 'error')).toHaveLength(5); // 4 failures + 1 policy error
    expect(lines.some((l) => l.includes('pss-baseline-host-namespaces'))).toBe(false);
    expect(lines.some((l) => l.includes('tf-replace-stateful'))).toBe(false);
    expect(lines.find((l) => l.includes('fix-permissions'))).toMatch(
      /^::notice .*title=pss-baseline-privileged \(high%2C known from baseline\)::/,
    );
    expect(lines.find((l) => l.includes('tf-rds-encrypted'))).toMatch(
      /^::warning .*\[unknown until apply: \/storage_encrypted\]$/,
    );
  });

  it('escapes newlines, percent signs and property delimiters', () => {
    expect(escapeData('50% done\nnext\r')).toBe('50%25 done%0Anext%0D');
    expect(escapeProperty('C:\\a,b')).toBe('C%3A\\a%2Cb');
    expect(lines.at(-1)).toBe(
      'parapet: 8 resources, 11 policies: 5 failed, 1 errors, 1 unknown, 1 warnings, 2 audit, 1 waived, 1 approved',
    );
  });
});
