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
 * An engine with just the reference policies, compiled by the given build of parapet (its
 * `dist/index.js` module: the benches compare builds).
 */
export async function referencePolicyEngine({ createEngine, defaultSettings, loadPolicies }) {
  const policies = (await loadPolicies({ builtin: true })).filter((policy) =>
    referencePolicyIds.has(policy.id),
  );
  return createEngine(policies, defaultSettings());
}

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

/** References per manifest file (originsFor), as the benches feed them to an engine session. */
export const PER_FILE = 100;

/**
 * The check as `parapet check` runs it: one engine session fed a file of PER_FILE references at a
 * time, each reference built with the given build's `imageResource` where `originOf` writes it.
 */
export async function checkByFiles(engine, imageResource, references, originOf) {
  const session = engine.session();
  for (let file = 0; file < references.length; file += PER_FILE) {
    const resources = [];
    for (let i = file; i < file + PER_FILE && i < references.length; i += 1)
      resources.push(imageResource(references[i], originOf(i)));
    await session.add(resources);
  }
  return session.finish();
}

/**
 * Where reference `i` of `count` is written: its own line of a manifest (100 per file), so the
 * report order (file, line, id) is decided as in a real run rather than by comparing 200k ids.
 * @returns {(i: number) => { location: { file: string, line: number } }}
 */
export function originsFor(count) {
  const files = Array.from(
    { length: Math.ceil(count / PER_FILE) },
    (_, i) => `manifests/app-${String(i).padStart(5, '0')}.yaml`,
  );
  return (i) => ({
    location: { file: files[Math.floor(i / PER_FILE)], line: 1 + (i % PER_FILE) * 12 },
  });
}

/**
 * The check's output without the check: a function that builds, for each reference, objects of
 * the shapes a real check builds (its resource with body and `facts.image`, its report reference,
 * its findings), with a new id and message string each, and no parsing, policies,
 * sorting or summary. Like the check, it keeps the references and findings and lets each
 * resource go once a chunk of 1,000 is done (engine sessions). What it costs is what any engine
 * returning such a result pays to allocate and keep it: the benchmark runs it beside the check, as
 * a measure of the machine's speed in the same run. The shapes and findings are those of a real
 * check of the first references, whose registry and tag shapes repeat every 40
 * (benchReferences): reference i is built like reference i % 40.
 * @param {string[]} references
 * @param {(i: number) => { location: { file: string, line: number } }} originOf
 * @param {any[]} resources the resources of a real check of at least the first 40 references
 * @param {{ findings: any[] }} result its result
 */
export function outputAlone(references, originOf, resources, result) {
  const period = registries.length * tails.length;
  const models = resources.slice(0, period).map((resource) => ({
    resource,
    findings: result.findings
      .filter((finding) => finding.resource.id === resource.id)
      .map((finding) => ({ ...finding })),
  }));
  return function build() {
    // The resources of the current chunk: they stay reachable until the chunk is done.
    const chunk = new Array(1000);
    const refs = new Array(references.length);
    const findings = [];
    for (let i = 0; i < references.length; i += 1) {
      const { resource: model, findings: modelFindings } = models[i % period];
      const written = references[i];
      const location = originOf(i).location;
      const id = 'docker.io/' + written;
      chunk[i % 1000] = {
        source: model.source,
        kind: model.kind,
        id,
        name: written,
        labels: model.labels,
        location,
        body: { ...model.body },
        facts: { image: { ...model.facts.image } },
        lineOf: model.lineOf,
      };
      const ref = { id, kind: model.kind, source: model.source, file: location.file, line: location.line };
      refs[i] = ref;
      for (let f = 0; f < modelFindings.length; f += 1) {
        const finding = modelFindings[f];
        findings.push({
          policyId: finding.policyId,
          severity: finding.severity,
          status: finding.status,
          mode: finding.mode,
          message: 'Image "' + written + '" does not pass ' + finding.policyId,
          path: finding.path,
          resource: ref,
        });
      }
    }
    return { refs, findings };
  };
}
