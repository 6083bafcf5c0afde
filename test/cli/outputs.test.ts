import { describe, expect, it } from 'vitest';
import { parseOutputTargets } from '../../src/cli/outputs.js';

const describeTargets = (formats: string[], output?: string) =>
  parseOutputTargets(formats, output).map((t) => `${t.reporter.name}>${t.file ?? 'stdout'}`);

describe('--format FORMAT[=FILE]', () => {
  it('sends text to stdout by default, a bare format to stdout or --output, FORMAT=FILE to files', () => {
    expect(describeTargets([])).toEqual(['text>stdout']);
    expect(describeTargets(['json'])).toEqual(['json>stdout']);
    expect(describeTargets(['json'], 'out.json')).toEqual(['json>out.json']);
    expect(describeTargets(['json'], '-')).toEqual(['json>stdout']);
    expect(describeTargets(['sarif=out/r.sarif', 'html=report.html'])).toEqual([
      'text>stdout',
      'sarif>out/r.sarif',
      'html>report.html',
    ]);
    expect(describeTargets(['sarif=r.sarif', 'markdown'], 'comment.md')).toEqual([
      'markdown>comment.md',
      'sarif>r.sarif',
    ]);
  });

  it('rejects ambiguous or malformed specifications', () => {
    expect(() => parseOutputTargets(['json', 'text'], undefined)).toThrow(/only one format can go to stdout/);
    expect(() => parseOutputTargets(['=x'], undefined)).toThrow(
      '--format: "=x" is not FORMAT or FORMAT=FILE',
    );
    expect(() => parseOutputTargets(['sarif='], undefined)).toThrow(
      '--format: "sarif=" is not FORMAT or FORMAT=FILE',
    );
    expect(() => parseOutputTargets(['sarif=a.out', 'json=./a.out'], undefined)).toThrow(
      '--format: ./a.out is the output of both sarif and json',
    );
    expect(() => parseOutputTargets(['yaml=x.yaml'], undefined)).toThrow(/unknown format "yaml"/);
  });
});
