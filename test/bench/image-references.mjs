// The image references the images benchmarks check, and where each is written.
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

/** The five built-in reference policies (no registry, signature or vulnerability data needed). */
export const referencePolicyIds = new Set([
  'image-reference-valid',
  'image-allowed-registries',
  'image-tag-not-latest',
  'image-digest-pinned',
  'image-deprecated-registry',
]);

/**
 * `count` distinct references over eight registry shapes and five tag/digest shapes, handed over
 * as a loader hands them over: flat strings. A template literal builds a rope (a concatenation V8
 * flattens on first read, then reads through an indirection); the strings of a parsed manifest,
 * plan, vulnerability report or command line are flat, so the JSON round trip.
 */
export function benchReferences(count) {
  return JSON.parse(
    JSON.stringify(
      Array.from(
        { length: count },
        (_, i) =>
          `${registries[i % registries.length]}team-${i % 97}/service_${i % 1013}${tails[i % tails.length]}`,
      ),
    ),
  );
}

/**
 * Where reference `i` of `count` is written: its own line of a manifest (100 per file), so the
 * report order (file, line, id) is decided as in a real run rather than by comparing 200k ids.
 * @returns {(i: number) => { location: { file: string, line: number } }}
 */
export function originsFor(count) {
  const files = Array.from(
    { length: Math.ceil(count / 100) },
    (_, i) => `manifests/app-${String(i).padStart(5, '0')}.yaml`,
  );
  return (i) => ({ location: { file: files[Math.floor(i / 100)], line: 1 + (i % 100) * 12 } });
}
