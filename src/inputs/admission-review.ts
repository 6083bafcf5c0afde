/**
 * AdmissionReview files (admission.k8s.io v1 or v1beta1, JSON or YAML) as inputs: the object under
 * review becomes a Kubernetes resource exactly as the webhook sees it, so `parapet check review.json`
 * gives the verdict `/validate` would. The webhook builds its resources with `admissionResource` too.
 */
import type { Notice } from '../model/result.js';
import type { Resource } from '../model/resource.js';
import { pointerTokens } from '../engine/pointer.js';
import { kubernetesResource } from './kubernetes.js';
import type { AdapterOutput, InputAdapter, JsonSource, YamlSource } from './types.js';
import { jsonLineLocator } from './yaml.js';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The fields of an admission request that shape the resource. */
export interface AdmissionRequestLike {
  uid: string;
  kind: { kind: string };
  namespace?: string;
  operation: string;
  subResource?: string;
  userInfo?: unknown;
  oldObject?: Obj;
  dryRun?: boolean;
}

/** True for an AdmissionReview of a version parapet answers. */
export function isAdmissionReview(value: unknown): value is Obj {
  return (
    isObject(value) &&
    value.kind === 'AdmissionReview' &&
    typeof value.apiVersion === 'string' &&
    value.apiVersion.startsWith('admission.k8s.io/')
  );
}

function metadataNamespace(object: Obj): string | undefined {
  const metadata = object.metadata;
  if (!isObject(metadata)) return undefined;
  return typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : undefined;
}

/**
 * The resource for `object` under review: the Kubernetes resource `parapet check` would build, with
 * the request's namespace filled in when the object omits it, and `facts.admission` (operation,
 * subResource, userInfo, oldObject, dryRun) for policies that judge the request itself.
 */
export function admissionResource(
  request: AdmissionRequestLike,
  object: Obj,
  location: { file: string; line: number },
  lineOf?: (pointer: string) => number | undefined,
): Resource {
  let body = object;
  if (request.namespace && metadataNamespace(object) === undefined && request.kind.kind !== 'Namespace') {
    const metadata = isObject(object.metadata) ? object.metadata : {};
    body = { ...object, metadata: { ...metadata, namespace: request.namespace } };
  }
  if (typeof body.kind !== 'string' || body.kind === '') body = { ...body, kind: request.kind.kind };
  const resource = kubernetesResource(body, location, lineOf);
  resource.facts.admission = {
    operation: request.operation,
    subResource: request.subResource,
    userInfo: request.userInfo,
    oldObject: request.oldObject,
    dryRun: request.dryRun === true,
  };
  return resource;
}

function fromReview(
  value: Obj,
  file: string,
  locate: (tokens: string[]) => number | undefined,
): AdapterOutput {
  const notices: Notice[] = [];
  const request = value.request;
  if (!isObject(request) || !isObject(request.kind) || typeof request.kind.kind !== 'string') {
    notices.push({
      level: 'warning',
      code: 'admission-no-request',
      file,
      message: `${file}: AdmissionReview has no request with a kind; nothing to evaluate`,
    });
    return { resources: [], notices };
  }
  const operation = typeof request.operation === 'string' ? request.operation : 'CREATE';
  // DELETE reviews carry the object being deleted as oldObject.
  const field = operation === 'DELETE' ? 'oldObject' : 'object';
  const object = request[field];
  if (!isObject(object)) {
    notices.push({
      level: 'info',
      code: 'admission-no-object',
      file,
      message: `${file}: ${operation} AdmissionReview carries no ${field}; nothing to evaluate`,
    });
    return { resources: [], notices };
  }
  const prefix = ['request', field];
  const line = locate(prefix) ?? 1;
  const resource = admissionResource(
    {
      uid: typeof request.uid === 'string' ? request.uid : '',
      kind: { kind: request.kind.kind },
      namespace: typeof request.namespace === 'string' ? request.namespace : undefined,
      operation,
      subResource: typeof request.subResource === 'string' ? request.subResource : undefined,
      userInfo: request.userInfo,
      oldObject: isObject(request.oldObject) ? request.oldObject : undefined,
      dryRun: request.dryRun === true,
    },
    object,
    { file, line },
    (pointer) => locate([...prefix, ...pointerTokens(pointer)]),
  );
  return { resources: [resource], notices };
}

/** AdmissionReview JSON and YAML files. */
export const admissionReviewInput: InputAdapter = {
  name: 'admission-review',
  detectJson: isAdmissionReview,
  detectYaml: isAdmissionReview,
  fromJson(value: unknown, source: JsonSource): AdapterOutput {
    return fromReview(value as Obj, source.file, jsonLineLocator(source.text));
  },
  fromYaml(source: YamlSource): AdapterOutput {
    const out: AdapterOutput = { resources: [], notices: [] };
    for (const doc of source.documents) {
      const value = doc.value;
      if (!isAdmissionReview(value)) continue;
      const result = fromReview(value, source.file, doc.lineAt);
      out.resources.push(...result.resources);
      out.notices.push(...result.notices);
    }
    return out;
  },
};
