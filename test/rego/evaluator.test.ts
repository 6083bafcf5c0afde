/**
 * ModuleEvaluator with the fault-injection module: an evaluation that grew the module's linear
 * memory far past its loaded size leaves no instance holding that memory behind, and the module
 * still answers alike afterwards.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/rego/bundle.js';
import { ModuleEvaluator, RECYCLE_GROWTH_BYTES } from '../../src/rego/evaluator.js';
import { repoPath } from '../helpers.js';

const compiled = repoPath('fixtures/rego/faults/compiled');
const bundle = readBundle(
  `${compiled}/${readdirSync(compiled).find((f) => f.startsWith('faults-hungry-'))!}`,
);
const module = new WebAssembly.Module(bundle.wasm);

/** The input parapet gives the faults module for a ConfigMap whose annotation sets `size`. */
const input = (size: number) => ({
  resource: {
    id: 'ConfigMap/shop/big',
    body: { metadata: { annotations: { 'faults.example.com/size': String(size) } } },
  },
});

describe('ModuleEvaluator', () => {
  it('drops an instance whose memory an evaluation grew, and answers alike with a new one', () => {
    const evaluator = new ModuleEvaluator();
    evaluator.load(1, { module, data: bundle.data, memoryLimitMiB: 64, file: 'faults.rego' });
    const small = evaluator.evaluate(1, 'faults/hungry', input(10));
    expect(small).toMatchObject({ ok: true });
    const loaded = evaluator.memoryBytes();
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(RECYCLE_GROWTH_BYTES);
    // An ordinary evaluation keeps its instance.
    expect(evaluator.evaluate(1, 'faults/hungry', input(10))).toEqual(small);
    expect(evaluator.memoryBytes()).toBe(loaded);

    // 160,000 numbers held at once: far more than 8 MiB of linear memory while it runs.
    const hungry = evaluator.evaluate(1, 'faults/hungry', input(400));
    expect(hungry).toEqual({ ok: true, result: [{ result: ['ConfigMap/shop/big: 160000 values held'] }] });
    expect(evaluator.memoryBytes()).toBeLessThan(RECYCLE_GROWTH_BYTES);

    expect(evaluator.evaluate(1, 'faults/hungry', input(400))).toEqual(hungry);
    expect(evaluator.evaluate(1, 'faults/hungry', input(10))).toEqual(small);
    expect(evaluator.memoryBytes()).toBe(loaded);
  });
});
