// Images: >= 200,000 references parsed and checked per second (the bar). Measures, in the
// same process: parsing alone, and parsing + the built-in reference policies through the engine.
import { createEngine, defaultSettings, loadPolicies } from '../../dist/index.js';
import { imageResource } from '../../dist/images/image-resource.js';
import { tryParseImageReference } from '../../dist/images/reference.js';
import { benchReferences, originsFor, referencePolicyIds } from './image-references.mjs';

const COUNT = Number(process.env.BENCH_IMAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const references = benchReferences(COUNT);
const originOf = originsFor(COUNT);
const policies = (await loadPolicies({ builtin: true })).filter((policy) =>
  referencePolicyIds.has(policy.id),
);
const engine = await createEngine(policies, defaultSettings());

function best(fn) {
  let fastest = Infinity;
  let out;
  for (let round = 0; round < ROUNDS; round += 1) {
    globalThis.gc?.();
    const started = process.hrtime.bigint();
    out = fn();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e9);
  }
  return { seconds: fastest, out };
}

const parse = best(() =>
  references.reduce((valid, reference) => valid + (tryParseImageReference(reference).ok ? 1 : 0), 0),
);
// One round in a function of its own: what a round builds is unreachable once it returns. (Kept in
// variables of this module's top-level async code, it stayed reachable from the suspended code's
// registers through the next round's collection, and kept 110-220 MB alive.)
async function checkRound() {
  const started = process.hrtime.bigint();
  // Each reference where a real one is written (originsFor).
  const resources = references.map((reference, i) => imageResource(reference, originOf(i)));
  const result = await engine.evaluate(resources);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, findings: result.findings.length };
}

let checkSeconds = Infinity;
let findings = 0;
for (let round = 0; round < ROUNDS; round += 1) {
  // As in the other benches, a round starts from a collected heap: a check runs once per process,
  // and should not pay for collecting what the previous round built.
  globalThis.gc?.();
  const checked = await checkRound();
  checkSeconds = Math.min(checkSeconds, checked.seconds);
  findings = checked.findings;
}
const parseRate = COUNT / parse.seconds;
const checkRate = COUNT / checkSeconds;
console.log(
  `images: ${COUNT} references (${parse.out} valid), ${policies.length} reference policies, best of ${ROUNDS}`,
);
console.log(`  parse only:        ${Math.round(parseRate).toLocaleString('en-US')} refs/s`);
console.log(
  `  parse + check:     ${Math.round(checkRate).toLocaleString('en-US')} refs/s (${findings} findings)`,
);
console.log(`  check / parse:     ${(checkRate / parseRate).toFixed(3)}`);
console.log(`  target 200,000/s:  ${checkRate >= 200_000 ? 'met' : 'NOT met'}`);
