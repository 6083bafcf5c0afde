import { describe, expect, it } from 'vitest';
import { loadPriceCatalogue } from '../../src/cost/catalogue.js';
import { StateView } from '../../src/cost/state.js';
import { estimateTerraformState } from '../../src/cost/terraform.js';
import { EstimateMemo } from '../../src/cost/terraform-memo.js';
import type { StateEstimate } from '../../src/cost/types.js';
import { loadInputs } from '../../src/inputs/load.js';

/** Reads `/type`, and `/size` only for type `a`: the shape of a real estimator's branching. */
function run(view: StateView): StateEstimate | 'free' {
  const type = view.string('/type');
  if (!type.known || type.value !== 'a') return 'free';
  const size = view.number('/size');
  return { components: [], unknownReason: size.known ? `size ${size.value}` : 'size unknown' };
}

describe('EstimateMemo', () => {
  const key = ['aws_x', 'after', 'aws', 'us-east-1'] as const;

  it('gives a state with the same answers to the same reads the same estimate object', () => {
    const memo = new EstimateMemo();
    expect(memo.find(...key, new StateView({ type: 'a', size: 1 }))).toBeUndefined();
    const first = memo.record(...key, new StateView({ type: 'a', size: 1 }), run);
    expect(first).toEqual({ components: [], unknownReason: 'size 1' });
    // Attributes the estimator does not read do not matter.
    expect(memo.find(...key, new StateView({ type: 'a', size: 1, name: 'other' }))).toBe(first);
    // A number read of a numeric string answers the same number.
    expect(memo.find(...key, new StateView({ type: 'a', size: '1' }))).toBe(first);
  });

  it('runs the estimator again for a different answer, an unknown value or another key', () => {
    const memo = new EstimateMemo();
    memo.record(...key, new StateView({ type: 'a', size: 1 }), run);
    expect(memo.find(...key, new StateView({ type: 'a', size: 2 }))).toBeUndefined();
    expect(memo.find(...key, new StateView({ type: 'a', size: 1 }, ['/size']))).toBeUndefined();
    expect(memo.find(...key, new StateView({ type: 'a' }))).toBeUndefined();
    expect(memo.find(...key, new StateView({ type: 'b', size: 1 }))).toBeUndefined();
    expect(
      memo.find('aws_y', 'after', 'aws', 'us-east-1', new StateView({ type: 'a', size: 1 })),
    ).toBeUndefined();
    expect(
      memo.find('aws_x', 'before', 'aws', 'us-east-1', new StateView({ type: 'a', size: 1 })),
    ).toBeUndefined();
    expect(
      memo.find('aws_x', 'after', 'aws', 'eu-west-1', new StateView({ type: 'a', size: 1 })),
    ).toBeUndefined();
    expect(
      memo.find('aws_x', 'after', 'aws', undefined, new StateView({ type: 'a', size: 1 })),
    ).toBeUndefined();
  });

  it('keeps branches apart: each answer leads to its own estimate', () => {
    const memo = new EstimateMemo();
    const sized = memo.record(...key, new StateView({ type: 'a', size: 1 }), run);
    const unknown = memo.record(...key, new StateView({ type: 'a' }, ['/size']), run);
    expect(memo.record(...key, new StateView({ type: 'b' }), run)).toBe('free');
    expect(memo.find(...key, new StateView({ type: 'a', size: 1 }))).toBe(sized);
    expect(memo.find(...key, new StateView({ type: 'a', size: 7 }, ['/size']))).toBe(unknown);
    expect(unknown).toEqual({ components: [], unknownReason: 'size unknown' });
    expect(memo.find(...key, new StateView({ type: 'c', size: 1 }))).toBeUndefined();
    expect(memo.find(...key, new StateView({ type: 'b', size: 9 }))).toBe('free');
  });
});

describe('memoised Terraform estimates', () => {
  it('equal fresh estimates for every resource of the cost fixtures, before and after', async () => {
    const { resources } = await loadInputs([
      'fixtures/cost/plan-aws.json',
      'fixtures/cost/plan-gcp.json',
      'fixtures/cost/plan-azure.json',
      'fixtures/cost/plan-crosscheck.json',
      'fixtures/cost/plan-unknown-region.json',
      'fixtures/cost/plan-uncatalogued-region.json',
      'fixtures/terraform/plan.json',
    ]);
    const catalogue = loadPriceCatalogue();
    const memo = new EstimateMemo();
    const sides = (resource: (typeof resources)[number]) => {
      const change = resource.facts.change as { before?: unknown; after?: unknown } | undefined;
      const values = [change?.before, change?.after ?? resource.body];
      return values.filter((value): value is Record<string, unknown> => !!value && typeof value === 'object');
    };
    let priced = 0;
    // Twice over: the second pass answers from the memo.
    for (let pass = 0; pass < 2; pass += 1) {
      for (const resource of resources) {
        for (const values of sides(resource)) {
          for (const phase of ['before', 'after'] as const) {
            const view = () => new StateView(values, resource.unknownPaths);
            const fresh = estimateTerraformState(resource, view(), catalogue, phase, null);
            const memoised = estimateTerraformState(resource, view(), catalogue, phase, memo);
            expect(memoised, `${resource.id} ${phase}`).toEqual(fresh);
            if (typeof fresh !== 'string') priced += 1;
          }
        }
      }
    }
    expect(priced).toBeGreaterThan(50);
  });
});
