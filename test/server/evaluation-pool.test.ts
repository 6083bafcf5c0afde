/**
 * The evaluation pool's scheduling, with a stand-in thread (fake-evaluation-worker.mjs) whose
 * reviews spin synchronously for as long as their object asks: readiness waits for every thread,
 * a spare takes a stopped thread's place at once and takes reviews while every working thread is
 * stuck, and a shape that cost a thread may no longer take every thread. Deadlines here are the
 * budget itself, never a measured duration.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { scanBody } from '../../src/server/body-scan.js';
import {
  EvaluationPool,
  reviewShape,
  type PoolAnswer,
  type PoolEvent,
} from '../../src/server/evaluation-pool.js';
import { defaultServerSettings, type ServerSettings } from '../../src/server/settings.js';
import { repoPath } from '../helpers.js';

const encoder = new TextEncoder();
let uids = 0;

/** An AdmissionReview of a ConfigMap in `namespace` whose evaluation spins for `spinMs`. */
function review(namespace: string, spinMs = 0): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: `pool-${++uids}`,
        kind: { group: '', version: 'v1', kind: 'ConfigMap' },
        resource: { group: '', version: 'v1', resource: 'configmaps' },
        namespace,
        operation: 'CREATE',
        userInfo: { username: 'dev' },
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'c', namespace, annotations: { 'fake.parapet.dev/spin-ms': String(spinMs) } },
        },
      },
    }),
  );
}

const pools: EvaluationPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

function startPool(settings: Partial<ServerSettings>, loadMs = 50) {
  const pool = new EvaluationPool({
    loader: { module: 'fake', export: 'fake', data: { loadMs } },
    settings: { ...defaultServerSettings(), ...settings },
    workerUrl: new URL('./fake-evaluation-worker.mjs', import.meta.url),
  });
  pools.push(pool);
  const events: PoolEvent[] = [];
  pool.subscribe((event) => events.push(event));
  pool.start();
  return { pool, events };
}

const decide = (pool: EvaluationPool, body: Uint8Array) => pool.decide('validate', body, performance.now());

/** Whether the answer is the failure decision at the budget. */
const overran = (answer: PoolAnswer | undefined) =>
  answer?.type !== 'invalid' && answer?.budgetExceeded === true;

/** Whether `answer` is the review evaluated and allowed (not the failure decision). */
function evaluated(answer: PoolAnswer): boolean {
  return answer.type === 'review' && answer.response.allowed && !answer.budgetExceeded;
}

function failureMessage(answer: PoolAnswer): string {
  if (answer.type !== 'review') return `not a review: ${answer.type}`;
  return answer.response.status?.message ?? '';
}

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Ordinary reviews every `everyMs` for `forMs`, all answers. */
async function ordinaryTraffic(pool: EvaluationPool, forMs: number, everyMs = 50): Promise<PoolAnswer[]> {
  const answers: Array<Promise<PoolAnswer>> = [];
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    answers.push(decide(pool, review('shop')));
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return Promise.all(answers);
}

describe('reviewShape', () => {
  it('names the route, kind, namespace and user read before the object', () => {
    const body = readFileSync(repoPath('fixtures/admission/reviews/deployment-checkout-create.v1.json'));
    const scan = scanBody(
      body,
      { maxValues: Infinity, maxListItems: Infinity, maxDepth: Infinity },
      { headerOnly: true },
    );
    expect(reviewShape('validate', scan)).toBe(
      'validate apps/Deployment shop system:serviceaccount:argocd:argocd-application-controller',
    );
    expect(scan.uid).toBe(JSON.parse(body.toString('utf8')).request.uid);
    expect(
      reviewShape(
        'mutate',
        scanBody(
          encoder.encode('{"apiVersion":"x"}'),
          { maxValues: 9, maxListItems: 9, maxDepth: 9 },
          { headerOnly: true },
        ),
      ),
    ).toBe('mutate ?');
  });
});

describe('EvaluationPool', () => {
  it('is ready only once every thread, spares included, has loaded, one load at a time', async () => {
    const { pool } = startPool({ evaluationThreads: 2, spareThreads: 1 }, 300);
    let ready = false;
    void pool.ready.then(() => (ready = true));
    let mostLoading = 0;
    while (!ready) {
      mostLoading = Math.max(mostLoading, pool.census.loading);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(pool.census).toEqual({ working: 2, spare: 1, loading: 0, busy: 0 });
    expect(mostLoading).toBe(1);
  }, 60_000);

  it('puts the spare to work at once when a runaway review costs a thread, and loads a new spare', async () => {
    const { pool, events } = startPool({ evaluationThreads: 2, spareThreads: 1, budgetMs: 1500 }, 1000);
    await pool.ready;
    const runaway = decide(pool, review('attack', 60_000));
    const answer = await runaway;
    expect(overran(answer)).toBe(true);
    expect(failureMessage(answer)).toMatch(/exceeded its 1500 ms budget/);
    await until('the thread to be cut off', () => pool.replaced === 1);
    // The replacement takes a second to load; the spare works meanwhile.
    expect(pool.census).toMatchObject({ working: 2, spare: 0, loading: 1 });
    const ordinary = await ordinaryTraffic(pool, 300);
    expect(ordinary.every(evaluated)).toBe(true);
    await until('a new spare', () => pool.census.spare === 1);
    expect(pool.census).toMatchObject({ working: 2, spare: 1, loading: 0 });
    expect(events.filter((e) => e.event === 'thread-stopped')).toHaveLength(1);
  }, 60_000);

  it('gives queued reviews to the spare while two runaway reviews hold both working threads', async () => {
    const { pool } = startPool({ evaluationThreads: 2, spareThreads: 1, budgetMs: 1500 });
    await pool.ready;
    const runaways = [decide(pool, review('attack', 60_000)), decide(pool, review('attack', 60_000))];
    const ordinary = await ordinaryTraffic(pool, 2500);
    expect(ordinary.length).toBeGreaterThan(10);
    expect(ordinary.filter((a) => !evaluated(a)).map(failureMessage)).toEqual([]);
    for (const answer of await Promise.all(runaways)) expect(overran(answer)).toBe(true);
    await until('both threads cut off', () => pool.replaced === 2);
  }, 60_000);

  it('gives the spare the reviews that waited a third of the budget behind a working thread that keeps up too slowly', async () => {
    const { pool } = startPool({ evaluationThreads: 1, spareThreads: 1, budgetMs: 1500 });
    await pool.ready;
    // 2 s of work for one thread, none of it stuck: each review runs 100 ms.
    const answers = await Promise.all(Array.from({ length: 20 }, () => decide(pool, review('shop', 100))));
    expect(answers.filter((a) => !evaluated(a)).map(failureMessage)).toEqual([]);
    expect(pool.replaced).toBe(0);
  }, 60_000);

  it('lets reviews of a shape that cost a thread take all working threads but one, never a spare', async () => {
    const { pool, events } = startPool({ evaluationThreads: 2, spareThreads: 1, budgetMs: 1000 });
    await pool.ready;
    expect(overran(await decide(pool, review('attack', 60_000)))).toBe(true);
    await until('the first runaway to be cut off', () => pool.replaced === 1);
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'shape-confined', shape: 'validate ConfigMap attack dev' }),
    );
    expect(pool.isConfined('validate ConfigMap attack dev')).toBe(true);
    expect(pool.isConfined('validate ConfigMap shop dev')).toBe(false);
    expect(pool.isConfined('validate ConfigMap attack alice')).toBe(false);
    await until('a new spare', () => pool.census.spare === 1);

    // Again, two at once: one runs and is cut off, the other waits for a thread it may not take.
    const runaways = [decide(pool, review('attack', 60_000)), decide(pool, review('attack', 60_000))];
    const ordinary = await ordinaryTraffic(pool, 1500);
    expect(ordinary.filter((a) => !evaluated(a)).map(failureMessage)).toEqual([]);
    const [first, second] = await Promise.all(runaways);
    expect(failureMessage(first!)).toMatch(/exceeded its 1000 ms budget/);
    expect(failureMessage(second!)).toMatch(/no evaluation thread was free .* may not take every thread/);
    await until('the runaway that ran to be cut off', () => pool.replaced === 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pool.replaced).toBe(2);

    // An ordinary review of the confined shape is still evaluated when a thread is free for it.
    expect(evaluated(await decide(pool, review('attack')))).toBe(true);
  }, 60_000);

  it('without spares, still keeps a confined shape off the last working thread', async () => {
    const { pool } = startPool({ evaluationThreads: 2, spareThreads: 0, budgetMs: 1000 });
    await pool.ready;
    expect(pool.census).toEqual({ working: 2, spare: 0, loading: 0, busy: 0 });
    expect(overran(await decide(pool, review('attack', 60_000)))).toBe(true);
    await until('the replacement to load', () => pool.replaced === 1 && pool.census.loading === 0);
    const runaways = [decide(pool, review('attack', 60_000)), decide(pool, review('attack', 60_000))];
    const ordinary = await ordinaryTraffic(pool, 1500);
    expect(ordinary.filter((a) => !evaluated(a)).map(failureMessage)).toEqual([]);
    await Promise.all(runaways);
  }, 60_000);
});
