import { describe, expect, it, vi } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { ResourceRef } from '../../src/model/resource.js';
import { compareFindings, compareResources, summarize, type Result } from '../../src/model/result.js';
import { jsonChunks, JsonStream } from '../../src/reporters/json-stream.js';
import { reporters } from '../../src/reporters/registry.js';
import { goldenOptions } from './golden.js';
import { sampleResult } from './sample-result.js';

// The piece size every reporter and writer cuts at, switchable per test: a report must be the same
// bytes whether each item is a piece of its own, pieces hold many items, or everything is one piece.
const piece = vi.hoisted(() => ({ chars: 1 << 15 }));
vi.mock('../../src/model/atomic-write.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/model/atomic-write.js')>()),
  get PIECE_CHARS() {
    return piece.chars;
  },
}));

/** The report and its pieces with pieces cut at `chars`. */
function renderAt(chars: number, render: () => Iterable<string>): { text: string; pieces: string[] } {
  const before = piece.chars;
  piece.chars = chars;
  try {
    const pieces = [...render()];
    return { text: pieces.join(''), pieces };
  } finally {
    piece.chars = before;
  }
}

/**
 * The sample result `copies` times over, each copy in its own folder with its own resource ids,
 * so that every report is many pieces long.
 */
function scaledResult(copies: number): Result {
  const sample = sampleResult();
  const findings: Finding[] = [];
  const resources: ResourceRef[] = [];
  const evaluated = new Map<string, string[]>();
  for (let copy = 0; copy < copies; copy += 1) {
    const renamed = new Map<ResourceRef, ResourceRef>();
    const rename = (ref: ResourceRef) => {
      let out = renamed.get(ref);
      if (!out)
        renamed.set(ref, (out = { ...ref, id: `${ref.id}-${copy}`, file: `copy-${copy}/${ref.file}` }));
      return out;
    };
    for (const ref of sample.resources) {
      resources.push(rename(ref));
      evaluated.set(`${ref.id}-${copy}`, sample.evaluated.get(ref.id) ?? []);
    }
    for (const finding of sample.findings) {
      const { fingerprint: _, ...rest } = finding;
      findings.push({ ...rest, resource: rename(finding.resource) });
    }
  }
  findings.sort(compareFindings);
  resources.sort(compareResources);
  return {
    ...sample,
    findings,
    resources,
    evaluated,
    summary: summarize(findings, resources.length, sample.policies.length),
  };
}

describe('reports in pieces', () => {
  const large = scaledResult(400);

  for (const reporter of reporters) {
    it(`${reporter.name}: the same bytes however the report is cut`, () => {
      for (const result of [sampleResult(), large]) {
        const chunks = () => reporter.chunks(result, goldenOptions);
        const whole = renderAt(2 ** 30, chunks);
        const eachItem = renderAt(1, chunks);
        const usual = renderAt(1 << 15, chunks);
        expect(eachItem.text).toBe(whole.text);
        expect(usual.text).toBe(whole.text);
        expect(reporter.render(result, goldenOptions)).toBe(whole.text);
      }
    });
  }

  it('keeps pieces of a long report near the piece size', () => {
    for (const reporter of reporters) {
      // Markdown is one comment capped below GitHub's limit, never long.
      if (reporter.name === 'markdown') continue;
      const { text, pieces } = renderAt(1 << 14, () => reporter.chunks(large, goldenOptions));
      expect(text.length, reporter.name).toBeGreaterThan(20 * (1 << 14));
      // A piece is cut once it reaches the size, so it ends within one item past it; the first and
      // last pieces hold the head and foot of the report (HTML's style and script), whatever its size.
      const longest = Math.max(...pieces.slice(1, -1).map((p) => p.length));
      expect(longest, reporter.name).toBeLessThan(3 * (1 << 14));
    }
  });
});

describe('jsonChunks', () => {
  it('writes long arrays item by item, byte for byte as JSON.stringify', () => {
    const lines = Array.from({ length: 500 }, (_, i) => ({
      id: `aws_instance.web[${i}]`,
      monthly: i % 7 === 0 ? null : i * 1.25,
      unknownReason: i % 7 === 0 ? 'instance_type unknown until apply' : undefined,
      components: Array.from({ length: i % 3 }, (_, k) => ({ name: `part ${k}`, skip: () => k })),
    }));
    const value = {
      version: 1,
      nothing: undefined,
      findings: new JsonStream(lines.slice(0, 100)),
      cost: { currency: 'USD', resources: lines, empty: [] },
      sparse: [1, undefined, () => 2, 'three'],
      nested: [[...lines.slice(0, 70)], []],
      dated: new Date('2026-03-02T09:30:00Z'),
    };
    const plain = { ...value, findings: lines.slice(0, 100) };
    for (const chars of [1, 1 << 10, 1 << 15]) {
      const { text, pieces } = renderAt(chars, () => jsonChunks(value));
      expect(text).toBe(JSON.stringify(plain, null, 2));
      expect(pieces.length).toBeGreaterThan(chars === 1 << 15 ? 4 : 100);
    }
  });
});
