import type { Notice } from '../model/result.js';
import type { ContainerFact, Resource, SourceLocation } from '../model/resource.js';
import { escapePointerToken, pointerTokens } from '../engine/pointer.js';
import type { AdapterOutput, InputAdapter, JsonSource, YamlSource } from './types.js';
import { jsonLineLocator } from './yaml.js';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Where each workload kind keeps its pod template, as pointer tokens from the body. */
const podTemplatePaths: Record<string, string[]> = {
  Pod: [],
  PodTemplate: ['template'],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** Kinds that carry a pod spec, in the order the README lists them. */
export const workloadKinds = Object.keys(podTemplatePaths);

const containerLists = ['containers', 'initContainers', 'ephemeralContainers'] as const;

interface PodTemplate {
  tokens: string[];
  specPath: string;
  metadataPath: string;
  /** Pointer of each container list, for the containers' paths. */
  listPaths: string[];
}

/**
 * The pointers of each workload kind, built once. A Map, so that a kind named like an
 * Object.prototype member (`constructor`, `toString`) is no workload instead of a crash.
 */
const podTemplates = new Map<string, PodTemplate>(
  Object.entries(podTemplatePaths).map(([kind, tokens]) => {
    const template = tokens.map((t) => '/' + escapePointerToken(t)).join('');
    const specPath = `${template}/spec`;
    return [
      kind,
      {
        tokens,
        specPath,
        metadataPath: `${template}/metadata`,
        listPaths: containerLists.map((list) => `${specPath}/${list}`),
      },
    ];
  }),
);

function dig(root: unknown, tokens: string[]): unknown {
  let current = root;
  for (const token of tokens) {
    if (!isObject(current)) return undefined;
    current = current[token];
  }
  return current;
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const v = value[key];
    if (v !== null && v !== undefined) out[key] = String(v);
  }
  return out;
}

/** `facts.podSpec`, `podMetadata`, `podLabels` and `containers` for pod-bearing kinds; else no facts. */
function workloadFacts(kind: string, body: Obj): Resource['facts'] {
  const paths = podTemplates.get(kind);
  if (paths === undefined) return {};
  const template = paths.tokens.length === 0 ? body : dig(body, paths.tokens);
  if (!isObject(template)) return {};
  const spec = template.spec;
  if (!isObject(spec)) return {};
  const metadata = isObject(template.metadata) ? template.metadata : {};
  const containers: ContainerFact[] = [];
  for (let l = 0; l < containerLists.length; l += 1) {
    const list = containerLists[l]!;
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    for (let index = 0; index < items.length; index += 1) {
      const container: unknown = items[index];
      if (!isObject(container)) continue;
      containers.push({
        list,
        index,
        name: typeof container.name === 'string' ? container.name : `${list}[${index}]`,
        path: `${paths.listPaths[l]}/${index}`,
        container,
        pod: spec,
        podMetadata: metadata,
      });
    }
  }
  return {
    podSpec: spec,
    podSpecPath: paths.specPath,
    podMetadata: metadata,
    podMetadataPath: paths.metadataPath,
    podLabels: stringRecord(metadata.labels),
    containers,
  };
}

/** True for a document that is a Kubernetes object: a mapping with string apiVersion and kind. */
export function isKubernetesObject(value: unknown): value is Obj {
  return (
    isObject(value) &&
    typeof value.apiVersion === 'string' &&
    typeof value.kind === 'string' &&
    value.kind !== ''
  );
}

/** Build the Resource for one Kubernetes object. */
export function kubernetesResource(
  object: Obj,
  location: SourceLocation,
  lineOf?: (pointer: string) => number | undefined,
): Resource {
  const kind = object.kind as string;
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const name =
    typeof metadata.name === 'string' && metadata.name !== ''
      ? metadata.name
      : typeof metadata.generateName === 'string'
        ? `${metadata.generateName}*`
        : '(unnamed)';
  const namespace =
    typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
  const facts = workloadFacts(kind, object);
  return {
    source: 'kubernetes',
    kind,
    id: namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`,
    name,
    namespace,
    labels: stringRecord(metadata.labels),
    location,
    body: object,
    facts,
    lineOf,
  };
}

type LineOf = (pointer: string) => number | undefined;

/** Resources for a document value: one object, or each item of a `kind: List`. */
function documentResources(
  value: unknown,
  file: string,
  docLine: number,
  lineOf: LineOf,
  notices: Notice[],
  out: Resource[],
): void {
  if (value === null || value === undefined) return;
  if (!isKubernetesObject(value)) {
    notices.push({
      level: 'info',
      code: 'not-kubernetes',
      file,
      message: `${file}:${docLine}: skipped: not a Kubernetes object (no apiVersion/kind)`,
    });
    return;
  }
  if ((value.kind as string).endsWith('List') && Array.isArray(value.items)) {
    value.items.forEach((item, index) => {
      const prefix = `/items/${index}`;
      const line = lineOf(prefix) ?? docLine;
      // The item's pointer tokens after the prefix's, as pointerTokens reads them.
      const itemLineOf: LineOf = (pointer) =>
        lineOf(pointer === '' ? prefix : `${prefix}/${pointer.slice(1)}`);
      documentResources(item, file, line, itemLineOf, notices, out);
    });
    return;
  }
  out.push(kubernetesResource(value, { file, line: docLine }, lineOf));
}

/** A pointer lookup from a token lookup. */
function byPointer(lineAt: (tokens: string[]) => number | undefined): LineOf {
  return (pointer) => lineAt(pointerTokens(pointer));
}

/** Kubernetes manifests from YAML (multi-document, Helm- and kustomize-rendered) and JSON. */
export const kubernetesInput: InputAdapter = {
  name: 'kubernetes',
  detectJson: isKubernetesObject,
  fromYaml(source: YamlSource): AdapterOutput {
    const resources: Resource[] = [];
    const notices: Notice[] = [];
    for (const doc of source.documents)
      documentResources(
        doc.value,
        source.file,
        doc.line,
        doc.lineOf ?? byPointer(doc.lineAt),
        notices,
        resources,
      );
    return { resources, notices };
  },
  fromJson(value: unknown, source: JsonSource): AdapterOutput {
    const resources: Resource[] = [];
    const notices: Notice[] = [];
    documentResources(value, source.file, 1, byPointer(jsonLineLocator(source.text)), notices, resources);
    return { resources, notices };
  },
};
