/**
 * AdmissionReview (admission.k8s.io v1 and v1beta1) as the API server sends it, validated into a
 * typed request, and the response in the same version. Both versions share the request and
 * response shapes; only the apiVersion differs, and each request is answered in its own version.
 */

export const admissionApiVersions = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof admissionApiVersions)[number];

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const operations = new Set<string>(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

export interface AdmissionUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The parts of `request` parapet reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: AdmissionOperation;
  userInfo: AdmissionUserInfo;
  object?: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
  dryRun: boolean;
}

export interface AdmissionReview {
  apiVersion: AdmissionApiVersion;
  request: AdmissionRequest;
}

export interface AdmissionStatus {
  code: number;
  message: string;
  reason?: string;
  status?: 'Success' | 'Failure';
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

/** Why a body is not an AdmissionReview parapet can answer; the route turns it into HTTP 400. */
export class ReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ReviewError(`request.${field} must be a string`);
  return value;
}

/**
 * Checks that `body` is an AdmissionReview with a request parapet can answer and returns it typed.
 * Throws `ReviewError` with a one-line reason otherwise.
 */
export function parseAdmissionReview(body: unknown): AdmissionReview {
  if (!isObject(body)) throw new ReviewError('the body must be a JSON AdmissionReview object');
  const { apiVersion, kind, request } = body;
  if (kind !== 'AdmissionReview') {
    throw new ReviewError(`kind must be AdmissionReview, got ${JSON.stringify(kind ?? null)}`);
  }
  if (!admissionApiVersions.includes(apiVersion as AdmissionApiVersion)) {
    throw new ReviewError(
      `unsupported apiVersion ${JSON.stringify(apiVersion ?? null)} (supported: ${admissionApiVersions.join(', ')})`,
    );
  }
  if (!isObject(request)) throw new ReviewError('the AdmissionReview has no request');
  const uid = request.uid;
  if (typeof uid !== 'string' || uid === '') throw new ReviewError('request.uid is missing');
  const operation = request.operation;
  if (typeof operation !== 'string' || !operations.has(operation)) {
    throw new ReviewError(
      `request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got ${JSON.stringify(operation ?? null)}`,
    );
  }
  const gvk = request.kind;
  if (!isObject(gvk) || typeof gvk.kind !== 'string' || gvk.kind === '')
    throw new ReviewError('request.kind.kind is missing');
  const object = request.object;
  const oldObject = request.oldObject;
  if (object !== undefined && object !== null && !isObject(object))
    throw new ReviewError('request.object must be an object');
  if (oldObject !== undefined && oldObject !== null && !isObject(oldObject))
    throw new ReviewError('request.oldObject must be an object');
  const userInfo = isObject(request.userInfo) ? request.userInfo : {};
  const groups = Array.isArray(userInfo.groups)
    ? userInfo.groups.filter((g): g is string => typeof g === 'string')
    : undefined;
  const resource = isObject(request.resource) ? request.resource : undefined;
  return {
    apiVersion: apiVersion as AdmissionApiVersion,
    request: {
      uid,
      kind: { group: String(gvk.group ?? ''), version: String(gvk.version ?? ''), kind: gvk.kind },
      resource: resource
        ? {
            group: String(resource.group ?? ''),
            version: String(resource.version ?? ''),
            resource: String(resource.resource ?? ''),
          }
        : undefined,
      subResource: optionalString(request.subResource, 'subResource'),
      name: optionalString(request.name, 'name'),
      namespace: optionalString(request.namespace, 'namespace'),
      operation: operation as AdmissionOperation,
      userInfo: {
        username: typeof userInfo.username === 'string' ? userInfo.username : undefined,
        uid: typeof userInfo.uid === 'string' ? userInfo.uid : undefined,
        groups,
      },
      object: isObject(object) ? object : undefined,
      oldObject: isObject(oldObject) ? oldObject : undefined,
      dryRun: request.dryRun === true,
    },
  };
}

/** The AdmissionReview envelope answering `review`, in the version it was asked in. */
export function admissionReviewResponse(
  apiVersion: AdmissionApiVersion,
  response: AdmissionResponse,
): Record<string, unknown> {
  return { apiVersion, kind: 'AdmissionReview', response };
}

/** A denial: HTTP 200 with `allowed: false` and a 403 status, as the API server expects. */
export function denial(uid: string, message: string, code = 403): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code, message, reason: code === 403 ? 'Forbidden' : 'BadRequest', status: 'Failure' },
  };
}
