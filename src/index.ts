/** parapet's library API: load policies, compile an engine, load inputs, evaluate, render reports. */
export { loadPolicies, loadPolicyFile, type LoadPoliciesOptions } from './policies/load.js';
export { policySchema } from './policies/schema.js';
export {
  createEngine,
  type Engine,
  type EvaluationSession,
  type CompiledPolicy,
  type EvaluateOptions,
} from './engine/engine.js';
export { loadInputs, parseInput, readStdin, type LoadedInputs } from './inputs/load.js';
export { kubernetesResource, isKubernetesObject, workloadKinds } from './inputs/kubernetes.js';
export { getReporter, reporters, type Reporter, type ReportOptions } from './reporters/registry.js';
export {
  exitCode,
  fingerprintOf,
  gates,
  type Result,
  type Summary,
  type Notice,
  type GateOptions,
  type UnknownHandling,
} from './model/result.js';
export { defaultSettings, type Settings } from './model/settings.js';
export { ParapetError, isParapetError, errorCodes, type ErrorCode } from './model/errors.js';
export type { Finding, FindingStatus, Waiver, Approval } from './model/finding.js';
export type { Policy, PolicyDocument, PolicyInfo, Severity, Mode } from './model/policy.js';
export type { Resource, ResourceRef, ContainerFact, SourceLocation } from './model/resource.js';
export { closeRegoRuntimes } from './rego/backend.js';
export { defaultRegoSettings, type RegoSettings } from './rego/settings.js';
