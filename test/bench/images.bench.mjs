// Images: >= 200,000 references parsed and checked per second (the bar). Measures, in the
// same process: parsing alone; parsing + the built-in reference policies through the engine, and
// then the fingerprints of its findings, which the JSON, SARIF and PolicyReport reports compute
// when they show them (the engine does not: text reports and the webhook never read them); and,
// in rounds alternating with the check's, the check's output built without the check (objects of
// the same shapes, copied from one real run: see outputAlone), as a measure of how fast this
// machine allocates and keeps that much in the same run.
import * as parapet from '../../dist/index.js';
import { imageResource } from '../../dist/images/image-resource.js';
import { tryParseImageReference } from '../../dist/images/reference.js';
import {
  benchReferences,
  checkByFiles,
  originsFor,
  outputAlone,
  referencePolicyEngine,
} from './image-references.mjs';

const COUNT = Number(process.env.BENCH_IMAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const references = benchReferences(COUNT);
const originOf = originsFor(COUNT);
const engine = await referencePolicyEngine(parapet);

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
  // As `parapet check` reads them: a file of references at a time into one session, each
  // reference where a real one is written (originsFor).
  const result = await checkByFiles(engine, imageResource, references, originOf);
  const checked = process.hrtime.bigint();
  for (const finding of result.findings) parapet.fingerprintOf(finding);
  return {
    seconds: Number(checked - started) / 1e9,
    fingerprintSeconds: Number(process.hrtime.bigint() - checked) / 1e9,
    findings: result.findings.length,
  };
}

// The output-alone builder, modelled on a real check of the first references (not timed).
const modelResources = references.slice(0, 40).map((reference, i) => imageResource(reference, originOf(i)));
const buildOutput = outputAlone(references, originOf, modelResources, await engine.evaluate(modelResources));
function aloneRound() {
  const started = process.hrtime.bigint();
  const built = buildOutput();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, findings: built.findings.length };
}

let checkSeconds = Infinity;
/** The fastest check plus the fingerprints of its findings. */
let fingerprintedSeconds = Infinity;
let aloneSeconds = Infinity;
let findings = 0;
let aloneFindings = 0;
const ratios = [];
for (let round = 0; round < ROUNDS; round += 1) {
  // As in the other benches, a round starts from a collected heap: a check runs once per process,
  // and should not pay for collecting what the previous round built. The two kinds of round take
  // turns going first.
  const pair = {};
  for (const kind of round % 2 === 0 ? ['alone', 'check'] : ['check', 'alone']) {
    globalThis.gc?.();
    pair[kind] = kind === 'check' ? await checkRound() : aloneRound();
  }
  checkSeconds = Math.min(checkSeconds, pair.check.seconds);
  fingerprintedSeconds = Math.min(fingerprintedSeconds, pair.check.seconds + pair.check.fingerprintSeconds);
  aloneSeconds = Math.min(aloneSeconds, pair.alone.seconds);
  findings = pair.check.findings;
  aloneFindings = pair.alone.findings;
  ratios.push(pair.check.seconds / pair.alone.seconds);
}
ratios.sort((a, b) => a - b);
const parseRate = COUNT / parse.seconds;
const checkRate = COUNT / checkSeconds;
console.log(
  `images: ${COUNT} references (${parse.out} valid), ${engine.policies.length} reference policies, best of ${ROUNDS}`,
);
console.log(`  parse only:        ${Math.round(parseRate).toLocaleString('en-US')} refs/s`);
console.log(
  `  parse + check:     ${Math.round(checkRate).toLocaleString('en-US')} refs/s (${findings} findings)`,
);
console.log(
  `  + fingerprints:    ${Math.round(COUNT / fingerprintedSeconds).toLocaleString('en-US')} refs/s (the check, then every finding's fingerprint, as a JSON or SARIF report reads them)`,
);
console.log(`  check / parse:     ${(checkRate / parseRate).toFixed(3)}`);
console.log(
  `  output alone:      ${Math.round(COUNT / aloneSeconds).toLocaleString('en-US')} refs/s (${aloneFindings} findings built, nothing parsed or checked)`,
);
console.log(
  `  check time / output-alone time: median ${ratios[Math.floor(ratios.length / 2)].toFixed(2)}x over ${ratios.length} alternating pairs (${ratios[0].toFixed(2)}x-${ratios.at(-1).toFixed(2)}x)`,
);
console.log(`  target 200,000/s:  ${checkRate >= 200_000 ? 'met' : 'NOT met'}`);
