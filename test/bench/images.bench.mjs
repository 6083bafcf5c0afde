// Images: >= 200,000 references parsed and checked per second (the bar). Measures, in the
// same process: parsing alone, and parsing + the built-in reference policies through the engine.
import { createEngine, defaultSettings, loadPolicies } from '../../dist/index.js';
import { imageResource } from '../../dist/images/image-resource.js';
import { tryParseImageReference } from '../../dist/images/reference.js';

const COUNT = Number(process.env.BENCH_IMAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const registries = [
  '',
  'docker.io/',
  'registry.example.com/',
  'ghcr.io/example/',
  'k8s.gcr.io/',
  'localhost:5000/',
  '[::1]:5000/',
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/',
];
const tails = [':1.27.3', '', ':latest', '@sha256:' + 'ab'.repeat(32), ':v2.1.0@sha256:' + 'cd'.repeat(32)];
// Handed over as a loader hands them over: flat strings. A template literal builds a rope (a
// concatenation V8 flattens on first read, then reads through an indirection); the strings of a
// parsed manifest, plan, vulnerability report or command line are flat, so the JSON round trip.
const references = JSON.parse(
  JSON.stringify(
    Array.from(
      { length: COUNT },
      (_, i) =>
        `${registries[i % registries.length]}team-${i % 97}/service_${i % 1013}${tails[i % tails.length]}`,
    ),
  ),
);

const files = Array.from(
  { length: Math.ceil(COUNT / 100) },
  (_, i) => `manifests/app-${String(i).padStart(5, '0')}.yaml`,
);

const referencePolicies = new Set([
  'image-reference-valid',
  'image-allowed-registries',
  'image-tag-not-latest',
  'image-digest-pinned',
  'image-deprecated-registry',
]);
const policies = (await loadPolicies({ builtin: true })).filter((policy) => referencePolicies.has(policy.id));
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
  // Each reference where a real one is written: its own line of a manifest (100 per file), so the
  // report order (file, line, id) is decided as in a real run rather than by comparing 200k ids.
  const resources = references.map((reference, i) =>
    imageResource(reference, { location: { file: files[Math.floor(i / 100)], line: 1 + (i % 100) * 12 } }),
  );
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
