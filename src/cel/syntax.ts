/**
 * Syntax the parser of @bufbuild/cel does not know yet, added around it:
 * - optional selection and indexing (`a.?b`, `a[?k]`), optional list elements (`[?x]`) and map
 *   entries (`{?k: v}`): the source is rewritten to marker names the parser accepts, and the tree to
 *   calls of the optional library;
 * - macros whose expansion needs the tree: two-variable comprehensions, `optMap`/`optFlatMap`,
 *   `sortBy`, `cel.bind`;
 * - a cost charge per comprehension iteration.
 */
import { create } from '@bufbuild/protobuf';
import {
  ConstantSchema,
  ExprSchema,
  type Expr,
  type Expr_Call,
  type Expr_Comprehension,
} from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';

const OPT_FIELD = '__opt__';
const OPT_INDEX = '__opt_index__';
const OPT_ELEM = '__opt_elem__';
const OPT_KEY = '__opt_key__';

/** Function names the rewritten trees call (implemented by the optional and comprehension libraries). */
export const internal = {
  optSelect: '@opt_select',
  optIndex: '@opt_index',
  optChainSelect: '@opt_chain_select',
  optChainIndex: '@opt_chain_index',
  optChainHas: '@opt_chain_has',
  optList: '@opt_list',
  optMap: '@opt_map',
  entries: '@entries',
  mapInsert: '@map_insert',
  mapMerge: '@map_merge',
  iterate: '@iterate',
  sortBy: '@sort_by',
  hasValue: 'hasValue',
  value: 'value',
} as const;

interface Bracket {
  kind: 'index' | 'list' | 'map' | 'paren';
  /** Text to emit before the next `,` or the closing bracket at this depth (an open marker call). */
  pending?: string;
  /** For map keys: close at the `:` instead. */
  closeAtColon?: boolean;
}

const identChar = /[A-Za-z0-9_]/;

/** Rewrites optional syntax (`.?`, `[?`, `{?`) to marker names that the parser accepts. */
export function rewriteOptionalSyntax(source: string): string {
  if (!source.includes('?')) return source;
  let out = '';
  const stack: Bracket[] = [];
  /** The last significant character emitted (outside strings and comments). */
  let last = '';
  /** Whether the last token ends an operand (an identifier, a literal, `)`, `]`, `}`). */
  let operandEnd = false;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i]!;
    // String literals, with r/b prefixes and triple quotes.
    if (c === '"' || c === "'") {
      const prefix = /[rRbB]{0,2}$/.exec(out)?.[0] ?? '';
      const raw = /r/i.test(prefix);
      const triple = source.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < n && !source.startsWith(quote, j)) j += !raw && source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + quote.length);
      i = j + quote.length;
      last = c;
      operandEnd = true;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      out += source.slice(i, stop);
      i = stop;
      continue;
    }
    if (/\s/.test(c)) {
      out += c;
      i += 1;
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === '?') {
      if (last === '.') {
        out += OPT_FIELD;
        i += 1;
        operandEnd = false;
        last = '_';
        continue;
      }
      if (top && last === '[' && top.kind === 'index') {
        out += `${OPT_INDEX}(`;
        top.pending = ')';
        i += 1;
        last = '(';
        operandEnd = false;
        continue;
      }
      if (top && (last === '[' || last === ',') && top.kind === 'list') {
        out += `${OPT_ELEM}(`;
        top.pending = ')';
        i += 1;
        last = '(';
        operandEnd = false;
        continue;
      }
      if (top && (last === '{' || last === ',') && top.kind === 'map') {
        out += `${OPT_KEY}(`;
        top.pending = ')';
        top.closeAtColon = true;
        i += 1;
        last = '(';
        operandEnd = false;
        continue;
      }
    }
    if (c === '(' || c === '[' || c === '{') {
      const kind = c === '(' ? 'paren' : c === '[' ? (operandEnd ? 'index' : 'list') : 'map';
      stack.push({ kind });
      out += c;
      last = c;
      operandEnd = false;
      i += 1;
      continue;
    }
    if (c === ')' || c === ']' || c === '}') {
      const closed = stack.pop();
      if (closed?.pending) out += closed.pending;
      out += c;
      last = c;
      operandEnd = true;
      i += 1;
      continue;
    }
    if (c === ',' && top?.pending && !top.closeAtColon) {
      out += top.pending;
      top.pending = undefined;
    }
    if (c === ':' && top?.pending && top.closeAtColon) {
      out += top.pending;
      top.pending = undefined;
      top.closeAtColon = false;
    }
    if (identChar.test(c)) {
      let j = i;
      while (
        j < n &&
        (identChar.test(source[j]!) ||
          (source[j] === '.' && /[0-9]/.test(source[j + 1] ?? '') && /^[0-9]/.test(source.slice(i, j))))
      )
        j += 1;
      out += source.slice(i, j);
      i = j;
      last = '_';
      operandEnd = true;
      continue;
    }
    out += c;
    last = c;
    operandEnd = false;
    i += 1;
  }
  return out;
}

/** Allocates expression ids above those of a parsed tree. */
class Ids {
  private next: bigint;
  constructor(root: Expr) {
    let max = 0n;
    const visit = (expr: Expr | undefined) => {
      if (!expr) return;
      if (expr.id > max) max = expr.id;
      forEachChild(expr, visit);
    };
    visit(root);
    this.next = max + 1n;
  }
  take(): bigint {
    return this.next++;
  }
}

function forEachChild(expr: Expr, visit: (child: Expr | undefined) => void): void {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      visit(kind.value.operand);
      break;
    case 'callExpr':
      visit(kind.value.target);
      kind.value.args.forEach(visit);
      break;
    case 'listExpr':
      kind.value.elements.forEach(visit);
      break;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value);
        visit(entry.value);
      }
      break;
    case 'comprehensionExpr': {
      const c = kind.value;
      [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].forEach(visit);
      break;
    }
  }
}

class Builder {
  constructor(readonly ids: Ids) {}
  ident(name: string): Expr {
    return create(ExprSchema, { id: this.ids.take(), exprKind: { case: 'identExpr', value: { name } } });
  }
  string(value: string): Expr {
    return create(ExprSchema, {
      id: this.ids.take(),
      exprKind: {
        case: 'constExpr',
        value: create(ConstantSchema, { constantKind: { case: 'stringValue', value } }),
      },
    });
  }
  bool(value: boolean): Expr {
    return create(ExprSchema, {
      id: this.ids.take(),
      exprKind: {
        case: 'constExpr',
        value: create(ConstantSchema, { constantKind: { case: 'boolValue', value } }),
      },
    });
  }
  int(value: bigint): Expr {
    return create(ExprSchema, {
      id: this.ids.take(),
      exprKind: {
        case: 'constExpr',
        value: create(ConstantSchema, { constantKind: { case: 'int64Value', value } }),
      },
    });
  }
  call(fn: string, args: Expr[], target?: Expr): Expr {
    return create(ExprSchema, {
      id: this.ids.take(),
      exprKind: { case: 'callExpr', value: { function: fn, args, target } },
    });
  }
  list(elements: Expr[]): Expr {
    return create(ExprSchema, { id: this.ids.take(), exprKind: { case: 'listExpr', value: { elements } } });
  }
  index(operand: Expr, index: bigint): Expr {
    return this.call('_[_]', [operand, this.int(index)]);
  }
  comprehension(value: Partial<Expr_Comprehension>): Expr {
    return create(ExprSchema, {
      id: this.ids.take(),
      exprKind: { case: 'comprehensionExpr', value: value as Expr_Comprehension },
    });
  }
  /** `name` bound to `init` inside `body` (cel.bind's expansion: a fold over an empty list). */
  bind(name: string, init: Expr, body: Expr): Expr {
    return this.comprehension({
      iterVar: '#unused',
      iterRange: this.list([]),
      accuVar: name,
      accuInit: init,
      loopCondition: this.bool(false),
      loopStep: this.ident(name),
      result: body,
    });
  }
}

/** Replaces free occurrences of identifiers (respecting comprehension scopes). */
function substitute(expr: Expr, replacements: Map<string, () => Expr>): Expr {
  const kind = expr.exprKind;
  if (kind.case === 'identExpr') {
    const make = replacements.get(kind.value.name);
    return make ? make() : expr;
  }
  if (kind.case === 'comprehensionExpr') {
    const c = kind.value;
    c.iterRange = c.iterRange && substitute(c.iterRange, replacements);
    c.accuInit = c.accuInit && substitute(c.accuInit, replacements);
    const inner = new Map(replacements);
    for (const bound of [c.iterVar, c.iterVar2, c.accuVar]) inner.delete(bound);
    if (inner.size > 0) {
      c.loopCondition = c.loopCondition && substitute(c.loopCondition, inner);
      c.loopStep = c.loopStep && substitute(c.loopStep, inner);
      c.result = c.result && substitute(c.result, inner);
    }
    return expr;
  }
  mapChildren(expr, (child) => substitute(child, replacements));
  return expr;
}

function mapChildren(expr: Expr, map: (child: Expr) => Expr): void {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      if (kind.value.operand) kind.value.operand = map(kind.value.operand);
      break;
    case 'callExpr':
      if (kind.value.target) kind.value.target = map(kind.value.target);
      kind.value.args = kind.value.args.map(map);
      break;
    case 'listExpr':
      kind.value.elements = kind.value.elements.map(map);
      break;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') entry.keyKind.value = map(entry.keyKind.value);
        if (entry.value) entry.value = map(entry.value);
      }
      break;
    case 'comprehensionExpr': {
      const c = kind.value;
      if (c.iterRange) c.iterRange = map(c.iterRange);
      if (c.accuInit) c.accuInit = map(c.accuInit);
      if (c.loopCondition) c.loopCondition = map(c.loopCondition);
      if (c.loopStep) c.loopStep = map(c.loopStep);
      if (c.result) c.result = map(c.result);
      break;
    }
  }
}

function identName(expr: Expr | undefined): string | undefined {
  return expr?.exprKind.case === 'identExpr' ? expr.exprKind.value.name : undefined;
}

function isCall(
  expr: Expr | undefined,
  fn: string,
): expr is Expr & { exprKind: { case: 'callExpr'; value: Expr_Call } } {
  return expr?.exprKind.case === 'callExpr' && expr.exprKind.value.function === fn;
}

/**
 * True when `expr` may yield an optional (so selection on it must chain): an optional selection or
 * index, or any function result (`optional.of(m).field`). Plain field paths and indexing of them
 * (`object.spec.containers[0].name`) are left to the planner.
 */
function isOptionalChain(expr: Expr | undefined): boolean {
  if (expr?.exprKind.case !== 'callExpr') return false;
  const fn = expr.exprKind.value.function;
  return fn !== '_[_]' && fn !== '_+_' && fn !== internal.iterate;
}

export class MacroError extends Error {}

/** Options of the tree rewrite. */
export interface ExpandOptions {
  /** Allow `cel.bind` (ext.Bindings; Kubernetes' admission environment does not have it). */
  bindings?: boolean;
}

/** Rewrites the parsed tree in place: optional syntax, macros and iteration charges. Returns the new root. */
export function expand(root: Expr, options: ExpandOptions = {}): Expr {
  const build = new Builder(new Ids(root));
  let counter = 0;
  const fresh = (what: string) => `@${what}${counter++}`;

  const twoVar = (call: Expr_Call, fn: string): Expr | undefined => {
    const [first, second, ...rest] = call.args;
    const a = identName(first);
    const b = identName(second);
    if (!call.target || !a || !b || rest.length === 0) return undefined;
    if (a === b) throw new MacroError(`${fn}: the two iteration variables must differ (${a})`);
    const it = fresh('it');
    const result = fresh('result');
    const bound = (body: Expr) =>
      substitute(
        body,
        new Map([
          [a, () => build.index(build.ident(it), 0n)],
          [b, () => build.index(build.ident(it), 1n)],
        ]),
      );
    const range = build.call(internal.entries, [call.target]);
    const step = (value: Expr) => build.call(internal.iterate, [value]);
    const acc = () => build.ident(result);
    const notStrictlyFalse = (value: Expr) => build.call('@not_strictly_false', [value]);
    switch (fn) {
      case 'all':
        if (rest.length !== 1) return undefined;
        return build.comprehension({
          iterVar: it,
          iterRange: range,
          accuVar: result,
          accuInit: build.bool(true),
          loopCondition: notStrictlyFalse(acc()),
          loopStep: step(build.call('_&&_', [acc(), bound(rest[0]!)])),
          result: acc(),
        });
      case 'exists':
        if (rest.length !== 1) return undefined;
        return build.comprehension({
          iterVar: it,
          iterRange: range,
          accuVar: result,
          accuInit: build.bool(false),
          loopCondition: notStrictlyFalse(build.call('!_', [acc()])),
          loopStep: step(build.call('_||_', [acc(), bound(rest[0]!)])),
          result: acc(),
        });
      case 'existsOne':
      case 'exists_one':
        if (rest.length !== 1) return undefined;
        return build.comprehension({
          iterVar: it,
          iterRange: range,
          accuVar: result,
          accuInit: build.int(0n),
          loopCondition: build.bool(true),
          loopStep: step(
            build.call('_?_:_', [bound(rest[0]!), build.call('_+_', [acc(), build.int(1n)]), acc()]),
          ),
          result: build.call('_==_', [acc(), build.int(1n)]),
        });
      case 'transformList':
      case 'transformMap':
      case 'transformMapEntry': {
        if (rest.length > 2) return undefined;
        const filter = rest.length === 2 ? bound(rest[0]!) : undefined;
        const transform = bound(rest[rest.length - 1]!);
        const add =
          fn === 'transformList'
            ? build.call('_+_', [acc(), build.list([transform])])
            : fn === 'transformMap'
              ? build.call(internal.mapInsert, [acc(), build.index(build.ident(it), 0n), transform])
              : build.call(internal.mapMerge, [acc(), transform]);
        const init = fn === 'transformList' ? build.list([]) : build.call(internal.mapInsert, []);
        return build.comprehension({
          iterVar: it,
          iterRange: range,
          accuVar: result,
          accuInit: init,
          loopCondition: build.bool(true),
          loopStep: step(filter ? build.call('_?_:_', [filter, add, acc()]) : add),
          result: acc(),
        });
      }
    }
    return undefined;
  };

  const visit = (expr: Expr): Expr => {
    mapChildren(expr, visit);
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'selectExpr': {
        const { operand, field, testOnly } = kind.value;
        if (field.startsWith(OPT_FIELD) && operand) {
          return build.call(internal.optSelect, [operand, build.string(field.slice(OPT_FIELD.length))]);
        }
        if (operand && isOptionalChain(operand)) {
          return build.call(testOnly ? internal.optChainHas : internal.optChainSelect, [
            operand,
            build.string(field),
          ]);
        }
        return expr;
      }
      case 'callExpr': {
        const call = kind.value;
        if (call.function === '_[_]' && call.args.length === 2) {
          const [operand, index] = call.args as [Expr, Expr];
          if (isCall(index, OPT_INDEX) && index.exprKind.value.args.length === 1) {
            return build.call(internal.optIndex, [operand, index.exprKind.value.args[0]!]);
          }
          if (isOptionalChain(operand)) return build.call(internal.optChainIndex, [operand, index]);
          return expr;
        }
        // Markers are consumed by the index, list or map around them (checked once expanded).
        if (call.function === OPT_INDEX || call.function === OPT_ELEM || call.function === OPT_KEY)
          return expr;
        if (call.function.startsWith(OPT_FIELD)) {
          throw new MacroError(`unsupported optional syntax near ?${call.function.slice(OPT_FIELD.length)}`);
        }
        const twoVarResult = [
          'all',
          'exists',
          'existsOne',
          'exists_one',
          'transformList',
          'transformMap',
          'transformMapEntry',
        ].includes(call.function)
          ? twoVar(call, call.function)
          : undefined;
        if (twoVarResult) return twoVarResult;
        if (
          (call.function === 'optMap' || call.function === 'optFlatMap') &&
          call.target &&
          call.args.length === 2
        ) {
          const name = identName(call.args[0]);
          if (!name) throw new MacroError(`${call.function}: the first argument must be a variable name`);
          const holder = fresh('opt');
          const body = build.bind(name, build.call(internal.value, [], build.ident(holder)), call.args[1]!);
          const mapped = call.function === 'optMap' ? build.call('optional.of', [body]) : body;
          return build.bind(
            holder,
            call.target,
            build.call('_?_:_', [
              build.call(internal.hasValue, [], build.ident(holder)),
              mapped,
              build.call('optional.none', []),
            ]),
          );
        }
        if (call.function === 'sortBy' && call.target && call.args.length === 2) {
          const name = identName(call.args[0]);
          if (!name) throw new MacroError('sortBy: the first argument must be a variable name');
          const it = fresh('it');
          const keys = build.comprehension({
            iterVar: it,
            iterRange: call.target,
            accuVar: fresh('result'),
            accuInit: build.list([]),
            loopCondition: build.bool(true),
            loopStep: build.list([]),
            result: build.list([]),
          });
          // Keys are computed per element: [[element, key], ...], then sorted by key.
          const c = keys.exprKind.value as Expr_Comprehension;
          const accu = c.accuVar;
          c.loopStep = build.call(internal.iterate, [
            build.call('_+_', [
              build.ident(accu),
              build.list([
                build.list([
                  build.ident(it),
                  substitute(call.args[1]!, new Map([[name, () => build.ident(it)]])),
                ]),
              ]),
            ]),
          ]);
          c.result = build.ident(accu);
          return build.call(internal.sortBy, [keys]);
        }
        if (
          call.function === 'bind' &&
          identName(call.target) === 'cel' &&
          call.args.length === 3 &&
          options.bindings
        ) {
          const name = identName(call.args[0]);
          if (!name) throw new MacroError('cel.bind: the first argument must be a variable name');
          return build.bind(name, call.args[1]!, call.args[2]!);
        }
        return expr;
      }
      case 'listExpr': {
        const elements = kind.value.elements;
        if (!elements.some((element) => isCall(element, OPT_ELEM))) return expr;
        const flags = elements.map((element) => build.bool(isCall(element, OPT_ELEM)));
        const values = elements.map((element) =>
          isCall(element, OPT_ELEM) ? element.exprKind.value.args[0]! : element,
        );
        return build.call(internal.optList, [build.list(values), build.list(flags)]);
      }
      case 'structExpr': {
        const entries = kind.value.entries;
        if (kind.value.messageName !== '') return expr;
        const optional = (key: Expr | undefined) => isCall(key, OPT_KEY);
        if (!entries.some((entry) => entry.keyKind.case === 'mapKey' && optional(entry.keyKind.value)))
          return expr;
        const keys: Expr[] = [];
        const values: Expr[] = [];
        const flags: Expr[] = [];
        for (const entry of entries) {
          const key = entry.keyKind.case === 'mapKey' ? entry.keyKind.value : undefined;
          if (!key || !entry.value) throw new MacroError('invalid map entry');
          const isOptional = optional(key);
          keys.push(isOptional ? (key.exprKind.value as Expr_Call).args[0]! : key);
          values.push(entry.value);
          flags.push(build.bool(isOptional));
        }
        return build.call(internal.optMap, [build.list(keys), build.list(values), build.list(flags)]);
      }
      case 'comprehensionExpr': {
        const c = kind.value;
        // Every fold (the parser's macros and ours) pays per iteration.
        if (c.loopStep && !isCall(c.loopStep, internal.iterate) && c.iterRange?.exprKind.case !== 'listExpr')
          c.loopStep = build.call(internal.iterate, [c.loopStep]);
        else if (
          c.loopStep &&
          c.iterRange?.exprKind.case === 'listExpr' &&
          c.iterRange.exprKind.value.elements.length > 0 &&
          !isCall(c.loopStep, internal.iterate)
        )
          c.loopStep = build.call(internal.iterate, [c.loopStep]);
        return expr;
      }
    }
    return expr;
  };
  const expanded = visit(root);
  const check = (expr: Expr | undefined) => {
    if (!expr) return;
    const kind = expr.exprKind;
    if (kind.case === 'callExpr' && [OPT_INDEX, OPT_ELEM, OPT_KEY].includes(kind.value.function))
      throw new MacroError(
        "unexpected '?': optional syntax is allowed in a field selection, an index, a list element or a map key",
      );
    forEachChild(expr, check);
  };
  check(expanded);
  return expanded;
}
