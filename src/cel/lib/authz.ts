/**
 * Kubernetes' authorizer library, for CI: there is no authorizer outside the cluster, so every
 * check is an unknown value. An expression that needs one is `unknown` with that reason (an
 * expression decided without it, such as `true || authorizer...`, still has its value).
 */
import { OpaqueValue, opaqueDesc } from '../values.js';
import { typedMethod, type CelLibrary } from './define.js';

const AUTHORIZER = 'kubernetes.authorization.Authorizer';
const PATH_CHECK = 'kubernetes.authorization.PathCheck';
const GROUP_CHECK = 'kubernetes.authorization.GroupCheck';
const RESOURCE_CHECK = 'kubernetes.authorization.ResourceCheck';
const DECISION = 'kubernetes.authorization.Decision';

/** Raised by functions whose answer only the cluster knows; the evaluator reports `unknown`. */
export class UnknownValueError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnknownValueError';
  }
}

class AuthzValue extends OpaqueValue {
  readonly desc;
  constructor(typeName: string) {
    super();
    this.desc = opaqueDesc(typeName);
  }
  equals(): boolean {
    throw new UnknownValueError(REASON);
  }
}

const REASON = 'authorizer checks need the cluster and are unknown outside it';

/** The value bound to `authorizer` (and `authorizer.requestResource`) outside the cluster. */
export const ciAuthorizer = new AuthzValue(AUTHORIZER);
export const ciRequestResource = new AuthzValue(RESOURCE_CHECK);

const builders: Array<[string, string, number, string]> = [
  [AUTHORIZER, 'path', 1, PATH_CHECK],
  [AUTHORIZER, 'group', 1, GROUP_CHECK],
  [AUTHORIZER, 'serviceAccount', 2, AUTHORIZER],
  [GROUP_CHECK, 'resource', 1, RESOURCE_CHECK],
  [RESOURCE_CHECK, 'subresource', 1, RESOURCE_CHECK],
  [RESOURCE_CHECK, 'namespace', 1, RESOURCE_CHECK],
  [RESOURCE_CHECK, 'name', 1, RESOURCE_CHECK],
  [RESOURCE_CHECK, 'fieldSelector', 1, RESOURCE_CHECK],
  [RESOURCE_CHECK, 'labelSelector', 1, RESOURCE_CHECK],
];
const unknowns: Array<[string, string, number]> = [
  [PATH_CHECK, 'check', 1],
  [RESOURCE_CHECK, 'check', 1],
  [DECISION, 'allowed', 0],
  [DECISION, 'reason', 0],
  [DECISION, 'errored', 0],
  [DECISION, 'error', 0],
];

export const authzLibrary: CelLibrary = {
  name: 'authz',
  funcs: [
    ...builders.map(([target, name, count, result]) =>
      typedMethod(target)(name, count, () => new AuthzValue(result)),
    ),
    ...unknowns.map(([target, name, count]) =>
      typedMethod(target)(name, count, () => {
        throw new UnknownValueError(REASON);
      }),
    ),
  ],
};
