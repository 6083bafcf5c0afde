// The five reference policies' rules over 200,000 image resources, without the rest of the check
// (no findings, sort or summary): nanoseconds per resource on the first pass over freshly built
// resources, on a second (warm) pass, and on a first pass after every name and id was read once
// (which makes V8 flatten the concatenated ones). Medians of BENCH_ROUNDS (default 6) rounds,
// each on resources built anew. Not part of `npm run bench`:
//   npm run build && node --expose-gc test/bench/images-rules.mjs
import * as parapet from '../../dist/index.js';
import { imageResource } from '../../dist/images/image-resource.js';
import { benchReferences, originsFor, referencePolicyEngine } from './image-references.mjs';

if (!globalThis.gc) {
  console.error('usage: node --expose-gc test/bench/images-rules.mjs');
  process.exit(2);
}
const COUNT = Number(process.env.BENCH_IMAGES ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const references = benchReferences(COUNT);
const originOf = originsFor(COUNT);
const engine = await referencePolicyEngine(parapet);
const ctx = { settings: engine.settings, notices: [], resources: [], resourcesOfKinds: () => [] };
const build = () => references.map((reference, i) => imageResource(reference, originOf(i)));

/** One pass of every policy's rule over `resources`, in the engine's order: ns per resource. */
function pass(resources, only) {
  const list = only ? [only] : engine.policies;
  const started = process.hrtime.bigint();
  for (const resource of resources)
    for (let p = 0; p < list.length; p += 1) list[p].rule.evaluateOne(resource, ctx);
  return Number(process.hrtime.bigint() - started) / resources.length;
}

pass(build().slice(0, 20_000)); // compile the rules' code first
const times = { first: [], warm: [], 'first, names and ids read before': [] };
const perPolicy = new Map(engine.policies.map((p) => [p.policy.id, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  globalThis.gc();
  let resources = build();
  times.first.push(pass(resources));
  times.warm.push(pass(resources));
  for (const compiled of engine.policies) perPolicy.get(compiled.policy.id).push(pass(resources, compiled));
  resources = undefined;
  globalThis.gc();
  resources = build();
  let doubled = 0; // no name or id has '//': the reads only flatten them
  for (const resource of resources)
    if (resource.body.name.includes('//') || resource.id.includes('//')) doubled += 1;
  times['first, names and ids read before'].push(pass(resources) + doubled);
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(
  `images rules: ${COUNT} resources, ${engine.policies.length} policies, medians of ${ROUNDS} rounds`,
);
for (const [name, values] of Object.entries(times))
  console.log(`  all rules, ${name}: ${median(values).toFixed(0)} ns per resource`);
for (const [id, values] of perPolicy)
  console.log(`  ${id}, warm: ${median(values).toFixed(0)} ns per resource`);
