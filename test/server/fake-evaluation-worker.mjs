// A stand-in for src/server/evaluation-worker.ts speaking the same messages, for the pool's tests:
// it "loads" in `loadMs` and allows every review, after spinning synchronously (as a runaway Rego
// policy does, so only terminating the thread stops it) for the milliseconds the object's
// `fake.parapet.dev/spin-ms` annotation names.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TextDecoder } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';

const { loadMs = 0 } = workerData.loader.data ?? {};
const decoder = new TextDecoder();

await sleep(loadMs);
parentPort.on('message', (request) => {
  if (request.type !== 'decide') return;
  const review = JSON.parse(decoder.decode(request.body));
  const spin = Number(review.request.object?.metadata?.annotations?.['fake.parapet.dev/spin-ms'] ?? 0);
  const until = performance.now() + spin;
  while (performance.now() < until);
  parentPort.postMessage({
    type: 'answer',
    id: request.id,
    answer: {
      type: 'review',
      apiVersion: review.apiVersion,
      response: { uid: review.request.uid, allowed: true },
      record: { uid: review.request.uid, decision: 'allowed' },
      counts: [],
      logged: [],
      budgetExceeded: false,
    },
  });
});
parentPort.postMessage({
  type: 'ready',
  catalogue: { policies: 1, policyIds: ['fake-slow'], kinds: ['ConfigMap'], readsNamespaceLabels: false },
});
