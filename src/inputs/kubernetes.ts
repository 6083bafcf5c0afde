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

function dig(root: unknown, tokens: string[]): unknown {
  let current = root;
  for (const token of tokens) {
    if (!isObject(current)) return undefined;
    current = current[token];
  }
  return current;
}

function toPointer(tokens: string[]): string {
  return tokens.map((t) => '/' + escapePointerToken(t)).join('');
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) if (v !== null && v !== undefined) out[key] = String(v);
  return out;
}

/** Fill `facts.podSpec`, `podMetadata`, `podLabels` and `containers` for pod-bearing kinds. */
function workloadFacts(kind: string, body: Obj, facts: Resource['facts']): void {
  const templateTokens = podTemplatePaths[kind];
  if (templateTokens === undefined) return;
  const template = templateTokens.length === 0 ? body : dig(body, templateTokens);
  if (!isObject(template)) return;
  const spec = template.spec;
  if (!isObject(spec)) return;
  const metadata = isObject(template.metadata) ? template.metadata : {};
  const templatePointer = toPointer(templateTokens);
  const specPointer = `${templatePointer}/spec`;
  facts.podSpec = spec;
  facts.podSpecPath = specPointer;
  facts.podMetadata = metadata;
  facts.podMetadataPath = `${templatePointer}/metadata`;
  facts.podLabels = stringRecord(metadata.labels);
  const containers: ContainerFact[] = [];
  for (const list of containerLists) {
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((container, index) => {
      if (!isObject(container)) return;
      containers.push({
        list,
        index,
        name: typeof container.name === 'string' ? container.name : `${list}[${index}]`,
        path: `${specPointer}/${list}/${index}`,
        container,
        pod: spec,
        podMetadata: metadata,
      });
    });
  }
  facts.containers = containers;
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
  const facts: Resource['facts'] = {};
  workloadFacts(kind, object, facts);
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
  if (/List$/.test(value.kind as string) && Array.isArray(value.items)) {
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
