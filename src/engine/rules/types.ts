import type { Notice } from '../../model/result.js';
import type { Policy } from '../../model/policy.js';
import type { Resource } from '../../model/resource.js';
import type { Settings } from '../../model/settings.js';
import type { SchemaCompiler } from '../rule-schemas.js';

/** What a rule reports: one offending place. */
export interface Violation {
  /** JSON pointer into the resource body ('' for the whole resource). */
  path: string;
  /** Default `fail` (the policy's mode then decides); `unknown` when the verdict rests on unknown values. */
  status?: 'fail' | 'unknown';
  /** Overrides the policy's message template (Rego messages, for example). */
  message?: string;
  /** Extra values for the message template. */
  values?: Record<string, unknown>;
  unknownPaths?: string[];
  details?: Record<string, unknown>;
}

export interface SetViolation extends Violation {
  resource: Resource;
}

export interface CompileContext {
  settings: Settings;
  /** Parameter values after configuration and defaults. */
  params: Record<string, unknown>;
  /** Shared schema compilers (first-error and all-errors validators). */
  ajv: SchemaCompiler;
  ajvAllErrors: SchemaCompiler;
}

export interface EvalContext {
  settings: Settings;
  notices: Notice[];
  /** Every resource of this evaluation (for rules that look beyond the resource at hand). */
  resources: readonly Resource[];
  /**
   * A new array of this evaluation's resources whose source and kind `matches` accepts, in the
   * order of `resources` (answered from an index by kind when the engine provides one).
   */
  resourcesOfKinds?(matches: (source: string, kind: string) => boolean): Resource[];
  /**
   * Labels of a Namespace that is not among `resources`: the cluster's, known to `parapet serve`
   * from a watch of Namespaces. Undefined when the namespace is unknown.
   */
  namespaceLabels?(name: string): Record<string, string> | undefined;
  /** The evaluation's clock (certificate validity); the current time when unset. */
  now?: Date;
}

export interface CompiledRule {
  scope: 'resource' | 'set';
  /** Scope `resource`: the violations of one resource (an empty array when it complies). */
  evaluate?(resource: Resource, ctx: EvalContext): Violation[];
  /**
   * Scope `resource`, for rules that report at most one place: the same verdict as `evaluate`
   * without an array per violation. The engine calls this one when a rule has it.
   */
  evaluateOne?(resource: Resource, ctx: EvalContext): Violation | undefined;
  /** Scope `set`: the violations across all resources the policy matched. */
  evaluateSet?(resources: Resource[], ctx: EvalContext): SetViolation[];
  /**
   * Scope `resource`: evaluating one resource reads others of the run (`ctx.resources`). The engine
   * then keeps every resource of a run to its end instead of checking them as they arrive.
   */
  readsRun?: boolean;
  /** Scope `resource`: its verdict can depend on the labels of the resource's Namespace (a namespaceSelector). */
  readsNamespaceLabels?: boolean;
  /** Scope `set`: the kinds it reads beyond those its policy matched (relation candidates). */
  readsKinds?(source: string, kind: string): boolean;
}

export interface RuleType {
  name: string;
  /** Compile once at load; a broken rule throws a ParapetError naming the policy file. */
  compile(
    policy: Policy,
    rule: Record<string, unknown>,
    ctx: CompileContext,
  ): CompiledRule | Promise<CompiledRule>;
}
