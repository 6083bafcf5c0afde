// In-process A/B of two builds on the images check: both dist/ trees loaded in one process, rounds
// alternating A, B / B, A with a collection before each, so the machine's drift falls on both.
// Prints each side's median and best, how often B won, and whether both produced the same
// findings. Not part of `npm run bench`. A build's copy must sit beside policies/ and node_modules/
// (ignored by git as /dist-*/):
//   cp -r dist dist-a && <change> && npm run build && node --expose-gc test/bench/images-ab.mjs dist-a dist
// Knobs: BENCH_IMAGES (default 200,000), BENCH_ROUNDS (default 10 per side), BENCH_AB=parse to time
// the reference scanner alone (scanImageReference over the references) instead of the whole check.
// A build with engine sessions is fed one file of references at a time, as `parapet check` feeds
// it; an older one gets one evaluate() of them all.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { benchReferences, checkByFiles, originsFor, referencePolicyEngine } from './image-references.mjs';

const [A, B] = process.argv.slice(2).map((dir) => pathToFileURL(path.resolve(dir)).href);
if (!A || !B || !globalThis.gc) {
  console.error('usage: node --expose-gc test/bench/images-ab.mjs DIST_A DIST_B');
  process.exit(2);
}
const COUNT = Number(process.env.BENCH_IMAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const PARSE_ONLY = process.env.BENCH_AB === 'parse';
async function side(dist) {
  const { imageResource } = await import(`${dist}/images/image-resource.js`);
  const reference = await import(`${dist}/images/reference.js`);
  return {
    engine: await referencePolicyEngine(await import(`${dist}/index.js`)),
    imageResource,
    reference,
    times: [],
    digest: '',
  };
}

const references = benchReferences(COUNT);
const originOf = originsFor(COUNT);

async function round(s) {
  if (PARSE_ONLY) return parseRound(s);
  const started = performance.now();
  // A build with engine sessions is fed as `parapet check` feeds it, a file at a time.
  const result = s.engine.session
    ? await checkByFiles(s.engine, s.imageResource, references, originOf)
    : await s.engine.evaluate(references.map((reference, i) => s.imageResource(reference, originOf(i))));
  s.times.push(performance.now() - started);
  const sample = result.findings[Math.floor(result.findings.length / 2)];
  s.digest = `${result.findings.length}:${sample?.resource.id}:${sample?.path}:${sample?.message}`;
}

/** The scanner alone: how many references it accepts, the last one's parts, and the time. */
function parseRound(s) {
  const parts = s.reference.imageReferenceParts();
  const started = performance.now();
  let valid = 0;
  for (const written of references)
    if (s.reference.scanImageReference(written, parts) === undefined) valid += 1;
  s.times.push(performance.now() - started);
  s.digest = `${valid}:${parts.normalized}:${parts.familiar}`;
}

const sides = { A: await side(A), B: await side(B) };
for (let r = 0; r < ROUNDS; r += 1) {
  for (const name of r % 2 ? ['B', 'A'] : ['A', 'B']) {
    globalThis.gc();
    await round(sides[name]);
  }
}
const median = (times) => [...times].sort((x, y) => x - y)[times.length >> 1];
const rate = (ms) => Math.round((COUNT / ms) * 1000).toLocaleString('en-US');
for (const [name, s] of Object.entries(sides))
  console.log(`${name}: median ${rate(median(s.times))} refs/s, best ${rate(Math.min(...s.times))}`);
const wins = sides.A.times.filter((a, i) => sides.B.times[i] < a).length;
console.log(
  `B faster in ${wins} of ${ROUNDS} rounds; B/A median time ${(median(sides.B.times) / median(sides.A.times)).toFixed(3)}; ` +
    `same findings: ${sides.A.digest === sides.B.digest}`,
);
