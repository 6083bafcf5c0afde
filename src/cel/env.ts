/**
 * A CEL environment with Kubernetes' libraries: compile an expression once (parse, expand, check
 * its names, plan), evaluate it many times under a cost limit. Front ends (ValidatingAdmissionPolicy,
 * Kyverno's CEL rules) declare their variables and read results as values, errors or unknowns.
 */
import {
  celEnv,
  celFunc,
  CelScalar,
  isCelError,
  parse,
  plan,
  type CelEnv,
  type CelError,
  type CelFunc,
  type CelValue,
} from '@bufbuild/cel';
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { chargeCall, CostBudget, CostLimitExceeded, defaultExpressionCostLimit, metered } from './cost.js';
import { UnknownValueError } from './lib/authz.js';
import { celLibraries } from './lib/index.js';
import type { CelLibrary } from './lib/define.js';
import { expand, MacroError, rewriteOptionalSyntax, type ExpandOptions } from './syntax.js';
import { celEquals, setBaseEquals, toCel } from './values.js';

export { CostBudget } from './cost.js';

/** A compile error: the expression cannot be used (the API server would reject the policy). */
export class CelCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelCompileError';
  }
}

/** The outcome of one evaluation. */
export type CelOutcome =
  | { kind: 'value'; value: CelValue; cost: number }
  | { kind: 'error'; message: string; cost: number; costExceeded?: boolean }
  | { kind: 'unknown'; reason: string; cost: number };

export interface CompiledExpression {
  readonly source: string;
  /** Evaluates with these variables (JSON values or CEL values); never throws. */
  evaluate(variables: Record<string, unknown>, budget?: CostBudget): CelOutcome;
}

export interface CelEnvironmentOptions {
  /** The variables expressions may name (`object`, `request` ...). */
  variables: readonly string[];
  /** Libraries beyond the Kubernetes set (a front end's own functions). */
  libraries?: readonly CelLibrary[];
  /** Per-expression cost limit (default Kubernetes' 1,000,000). */
  expressionCostLimit?: number;
  /** Macros beyond Kubernetes' (cel.bind). */
  expand?: ExpandOptions;
}

const typeIdents = new Set([
  'optional_type',
  'google',
  'int',
  'uint',
  'double',
  'bool',
  'string',
  'bytes',
  'list',
  'map',
  'null_type',
  'type',
  'dyn',
  'null',
]);

type Group = { call(id: number, target: CelValue | undefined, args: CelValue[]): unknown };

/**
 * The resolver the planner sees: the environment's, with every call charged to the cost meter.
 * `_==_` and `_!=_` learn the opaque types (Quantity, IP, optional ...).
 */
function meteredEnv(base: CelEnv): CelEnv {
  const wrapped = new Map<string, Group | undefined>();
  const funcs = {
    find(name: string) {
      if (wrapped.has(name)) return wrapped.get(name);
      const group = base.funcs.find(name) as Group | undefined;
      const internal = name.startsWith('@');
      const result = group && {
        name,
        call(id: number, target: CelValue | undefined, args: CelValue[]) {
          if (internal) chargeCall(undefined, []);
          else chargeCall(target, args);
          return group.call(id, target, args);
        },
        *[Symbol.iterator]() {
          yield* group as unknown as Iterable<CelFunc>;
        },
      };
      wrapped.set(name, result);
      return result;
    },
    [Symbol.iterator]: () => base.funcs[Symbol.iterator](),
  };
  return {
    namespace: base.namespace,
    registry: base.registry,
    variables: base.variables,
    funcs,
  } as unknown as CelEnv;
}

let equalityFuncs: CelFunc[] | undefined;
function equality(): CelFunc[] {
  if (equalityFuncs) return equalityFuncs;
  const std = celEnv().funcs.find('_==_') as unknown as Group;
  setBaseEquals((a, b) => std.call(0, undefined, [a, b]) === true);
  equalityFuncs = [
    celFunc('_==_', [CelScalar.DYN, CelScalar.DYN], CelScalar.BOOL, (a, b) => celEquals(a, b)),
    celFunc('_!=_', [CelScalar.DYN, CelScalar.DYN], CelScalar.BOOL, (a, b) => !celEquals(a, b)),
  ];
  return equalityFuncs;
}

function unknownReason(error: CelError): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause; depth += 1) {
    if (cause instanceof UnknownValueError) return cause.reason;
    if (Array.isArray(cause)) cause = cause.find((item) => item instanceof UnknownValueError) ?? cause[0];
    else cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

function costExceeded(error: CelError): boolean {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause; depth += 1) {
    if (cause instanceof CostLimitExceeded) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** The names an expression reads that no comprehension binds, and the functions it calls. */
function references(root: Expr): { idents: Set<string>; calls: Set<string> } {
  const idents = new Set<string>();
  const calls = new Set<string>();
  const visit = (expr: Expr | undefined, bound: ReadonlySet<string>) => {
    if (!expr) return;
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'identExpr':
        if (!bound.has(kind.value.name)) idents.add(kind.value.name);
        break;
      case 'selectExpr': {
        const qualified = qualifiedName(expr);
        if (qualified && !bound.has(qualified.split('.')[0]!)) {
          idents.add(qualified);
          break;
        }
        visit(kind.value.operand, bound);
        break;
      }
      case 'callExpr': {
        const target = kind.value.target;
        const qualified = target && qualifiedName(target);
        if (qualified && !bound.has(qualified.split('.')[0]!))
          calls.add(`${qualified}.${kind.value.function}`);
        else {
          calls.add(kind.value.function);
          visit(target, bound);
        }
        if (qualified && !bound.has(qualified.split('.')[0]!)) {
          // `object.spec.x.startsWith(...)` reads `object`; `sets.contains(...)` names a function.
          idents.add(`${qualified}.${kind.value.function}()`);
        }
        kind.value.args.forEach((arg) => visit(arg, bound));
        break;
      }
      case 'listExpr':
        kind.value.elements.forEach((element) => visit(element, bound));
        break;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value, bound);
          visit(entry.value, bound);
        }
        break;
      case 'comprehensionExpr': {
        const c = kind.value;
        visit(c.iterRange, bound);
        visit(c.accuInit, bound);
        const inner = new Set(bound);
        for (const name of [c.iterVar, c.iterVar2, c.accuVar]) if (name) inner.add(name);
        visit(c.loopCondition, inner);
        visit(c.loopStep, inner);
        visit(c.result, inner);
        break;
      }
    }
  };
  visit(root, new Set());
  return { idents, calls };
}

function qualifiedName(expr: Expr): string | undefined {
  const kind = expr.exprKind;
  if (kind.case === 'identExpr') return kind.value.name;
  if (kind.case === 'selectExpr' && !kind.value.testOnly && kind.value.operand) {
    const operand = qualifiedName(kind.value.operand);
    return operand === undefined ? undefined : `${operand}.${kind.value.field}`;
  }
  return undefined;
}

/** Compiles expressions against one set of variables and libraries. */
export class CelEnvironment {
  private readonly env: CelEnv;
  private readonly variables: ReadonlySet<string>;
  private readonly limit: number;

  constructor(private readonly options: CelEnvironmentOptions) {
    const funcs = [...celLibraries, ...(options.libraries ?? [])].flatMap((library) => library.funcs);
    this.env = meteredEnv(celEnv({ funcs: [...funcs, ...equality()] }));
    this.variables = new Set(options.variables);
    this.limit = options.expressionCostLimit ?? defaultExpressionCostLimit;
  }

  /** Parses, expands and checks `source`; throws CelCompileError with the reason. */
  compile(source: string): CompiledExpression {
    let root: Expr;
    try {
      root = parse(rewriteOptionalSyntax(source)).expr;
      root = expand(root, this.options.expand);
    } catch (error) {
      const message = error instanceof MacroError ? error.message : (error as Error).message.split('\n')[0]!;
      throw new CelCompileError(`compilation failed: ${message.replace(/__opt_?[a-z]*__/g, '?')}`);
    }
    this.checkNames(root);
    const program = plan(this.env, root);
    const limit = this.limit;
    return {
      source,
      evaluate(variables, budget) {
        const bindings: Record<string, CelValue> = {};
        for (const [name, value] of Object.entries(variables)) bindings[name] = toCel(value);
        const run = metered(limit, budget, () => program(bindings));
        if (run.exceeded) return { kind: 'error', message: run.exceeded, cost: run.cost, costExceeded: true };
        const value = run.value;
        if (isCelError(value)) {
          const reason = unknownReason(value);
          if (reason) return { kind: 'unknown', reason, cost: run.cost };
          if (costExceeded(value))
            return { kind: 'error', message: value.message, cost: run.cost, costExceeded: true };
          return { kind: 'error', message: celGoMessage(value.message), cost: run.cost };
        }
        return { kind: 'value', value, cost: run.cost };
      },
    };
  }

  private checkNames(root: Expr): void {
    const { idents, calls } = references(root);
    for (const ident of idents) {
      if (ident.endsWith('()')) continue;
      const parts = ident.split('.');
      let known = false;
      for (let i = parts.length; i > 0 && !known; i -= 1) {
        const prefix = parts.slice(0, i).join('.');
        known = this.variables.has(prefix) || (i === 1 && typeIdents.has(prefix));
      }
      if (!known) throw new CelCompileError(`compilation failed: undeclared reference to '${parts[0]}'`);
    }
    for (const call of calls) {
      if (this.env.funcs.find(call)) continue;
      const dot = call.lastIndexOf('.');
      const bare = dot === -1 ? call : call.slice(dot + 1);
      const receiver = dot === -1 ? undefined : call.slice(0, dot);
      // `object.spec.name.startsWith(...)` is a member call on a variable's value.
      if (
        receiver !== undefined &&
        [...this.variables].some((v) => receiver === v || receiver.startsWith(`${v}.`))
      ) {
        if (this.env.funcs.find(bare)) continue;
      }
      if (receiver === undefined && isBuiltinSyntax(call)) continue;
      throw new CelCompileError(`compilation failed: undeclared reference to '${call}'`);
    }
  }
}

/** The planner's wording of errors, as cel-go (and so the API server) words them. */
function celGoMessage(message: string): string {
  return message.replace(/^field not found: /, 'no such key: ');
}

/** Operators and special forms the planner implements itself. */
function isBuiltinSyntax(name: string): boolean {
  return [
    '_&&_',
    '_||_',
    '_?_:_',
    '_[_]',
    '_[?_]',
    '_?._',
    '@not_strictly_false',
    '__not_strictly_false__',
  ].includes(name);
}

export type { CelValue } from '@bufbuild/cel';
