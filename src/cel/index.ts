/** The CEL environment with Kubernetes' libraries, for every front end that evaluates CEL. */
export {
  CelEnvironment,
  CelCompileError,
  CostBudget,
  type CelOutcome,
  type CompiledExpression,
  type CelEnvironmentOptions,
} from './env.js';
export { defaultEvaluationCostLimit, defaultExpressionCostLimit } from './cost.js';
export {
  celLibraries,
  ciAuthorizer,
  ciRequestResource,
  UnknownValueError,
  type CelLibrary,
} from './lib/index.js';
export { fromCel, toCel, Optional, OpaqueValue } from './values.js';
