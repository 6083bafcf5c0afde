import type { ErrorObject, ValidateFunction } from 'ajv';
import { describeError, ParapetError } from '../../model/errors.js';
import type { Policy, SchemaRule } from '../../model/policy.js';
import type { ContainerFact, Resource } from '../../model/resource.js';
import { escapePointerToken, getAtPointer, pointerTokens } from '../pointer.js';
import { patternOverlaps, readDependsOn, schemaReadPatterns, type ReadPattern } from '../schema-paths.js';
import { resourceView, viewPointerToBodyPointer } from '../view.js';
import type { CompileContext, CompiledRule, RuleType, Violation } from './types.js';

type Target = NonNullable<SchemaRule['schema']['target']>;

// Unknown paths are shared by every policy that looks at a resource; split each pointer once.
const tokenCache = new Map<string, string[]>();
function unknownTokens(pointer: string): string[] {
  let tokens = tokenCache.get(pointer);
  if (!tokens) {
    tokens = pointerTokens(pointer);
    if (tokenCache.size > 50_000) tokenCache.clear();
    tokenCache.set(pointer, tokens);
  }
  return tokens;
}

/** The shared result of a rule with nothing to report (never mutated). */
const noViolations: Violation[] = Object.freeze([]) as unknown as Violation[];
const one = (violation: Violation | undefined): Violation[] => (violation ? [violation] : noViolations);

/** The JSON pointer an ajv error denotes: for `required`, the missing property itself. */
function errorPointer(error: ErrorObject): string {
  if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') {
    return `${error.instancePath}/${escapePointerToken(error.params.missingProperty)}`;
  }
  if (error.keyword === 'dependentRequired' && typeof error.params.missingProperty === 'string') {
    return `${error.instancePath}/${escapePointerToken(error.params.missingProperty)}`;
  }
  return error.instancePath;
}

/** The most specific error: the one pointing deepest into the data. */
function deepestPointer(errors: ErrorObject[] | null | undefined): string {
  let best = '';
  let bestDepth = -1;
  for (const error of errors ?? []) {
    const pointer = errorPointer(error);
    let depth = 0;
    for (let i = pointer.indexOf('/'); i !== -1; i = pointer.indexOf('/', i + 1)) depth += 1;
    if (depth > bestDepth) {
      best = pointer;
      bestDepth = depth;
    }
  }
  return best;
}

function containerPointer(fact: ContainerFact, resource: Resource, pointer: string): string {
  for (const [prefix, base] of [
    ['/container', fact.path],
    ['/pod', resource.facts.podSpecPath],
    ['/podMetadata', resource.facts.podMetadataPath],
  ] as const) {
    if (base !== undefined && pointer.startsWith(prefix)) {
      const rest = pointer.slice(prefix.length);
      if (rest === '' || rest.startsWith('/')) return base + rest;
    }
  }
  return fact.path;
}

function compileSchema(
  policy: Policy,
  ctx: CompileContext,
  schema: unknown,
  field: string,
  allErrors = false,
): ValidateFunction {
  try {
    return (allErrors ? ctx.ajvAllErrors : ctx.ajv).compile(schema as Record<string, unknown>);
  } catch (error) {
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      `${policy.file}: rule.schema.${field}: ${describeError(error)}`,
      {
        file: policy.file,
        cause: error,
      },
    );
  }
}

/** `schema`: a JSON Schema over a target (body, pod spec, each container, whole resource) that must hold. */
export const schemaRuleType: RuleType = {
  name: 'schema',
  compile(policy: Policy, rule: Record<string, unknown>, ctx: CompileContext): CompiledRule {
    const spec = rule as unknown as SchemaRule['schema'];
    const target: Target = spec.target ?? 'body';
    const validate = compileSchema(policy, ctx, spec.assert, 'assert');
    const when = spec.when === undefined ? undefined : compileSchema(policy, ctx, spec.when, 'when');
    const reportPath = spec.path;
    let validateAll: ValidateFunction | undefined;
    let schemaReads: ReadPattern[] | undefined;
    /** Where the assert schema reads, as body pointer patterns of this target instance. */
    // Mapped places depend on where the target sits in the body; most resources share one layout.
    const mappedReads = new Map<string, ReadPattern[]>();
    const readPlaces = (
      layout: string,
      resource: Resource,
      fact: ContainerFact | undefined,
      toBody?: (pointer: string) => string,
    ): ReadPattern[] => {
      schemaReads ??= schemaReadPatterns(spec.assert);
      if (target === 'body') return schemaReads;
      let mapped = mappedReads.get(layout);
      if (!mapped) {
        const map = toBody ?? toBodyOf(resource, fact);
        mapped = schemaReads.map((read) => ({
          tokens: pointerTokens(
            map(
              read.tokens.map((token) => '/' + (token === '*' ? token : escapePointerToken(token))).join(''),
            ),
          ),
          deep: read.deep,
        }));
        if (mappedReads.size < 1024) mappedReads.set(layout, mapped);
      }
      return mapped;
    };
    /** Where the target sits in the body, for targets that sit where the pod paths say. */
    const podLayout = (resource: Resource): string =>
      resource.facts.podSpecPath === undefined && resource.facts.podMetadataPath === undefined
        ? '\0'
        : `${resource.facts.podSpecPath ?? ''}\0${resource.facts.podMetadataPath ?? ''}`;
    const layoutOf = (resource: Resource, toBody: (pointer: string) => string): string =>
      target === 'containers' ? toBody('/container') + '\0' + toBody('/pod') : podLayout(resource);
    /**
     * Where the assert schema reads for this resource and target instance. The pointer mapping is
     * made only when the layout is new (most resources share one): no closure per evaluation.
     */
    const readsOf = (resource: Resource, fact: ContainerFact | undefined): ReadPattern[] => {
      if (target === 'body') return (schemaReads ??= schemaReadPatterns(spec.assert));
      if (target === 'containers') {
        const toBody = toBodyOf(resource, fact);
        return readPlaces(layoutOf(resource, toBody), resource, fact, toBody);
      }
      return readPlaces(podLayout(resource), resource, fact);
    };
    // The unknown paths the schema reads, per read places and unknown-path list: the plan adapter
    // shares one (never mutated) list among the resources of one shape.
    const unknownsRead = new WeakMap<ReadPattern[], WeakMap<readonly string[], string[]>>();
    const readUnknowns = (unknownPaths: readonly string[], reads: ReadPattern[]): string[] => {
      let byList = unknownsRead.get(reads);
      if (!byList) unknownsRead.set(reads, (byList = new WeakMap()));
      let read = byList.get(unknownPaths);
      if (!read) {
        read = unknownPaths.filter((unknown) => {
          const tokens = unknownTokens(unknown);
          return reads.some((place) => readDependsOn(place, tokens));
        });
        byList.set(unknownPaths, read);
      }
      return read;
    };
    // A `path` of the rule: split once, mapped to the body once per layout.
    const reportTokens = reportPath === undefined ? undefined : pointerTokens(reportPath);
    const reportBodyPaths = new Map<string, string>();
    const reportBodyPath = (resource: Resource, fact: ContainerFact | undefined): string => {
      if (target === 'containers') return toBodyOf(resource, fact)(reportPath!);
      const layout = podLayout(resource);
      let path = reportBodyPaths.get(layout);
      if (path === undefined) {
        path = toBodyOf(resource, fact)(reportPath!);
        if (reportBodyPaths.size < 1024) reportBodyPaths.set(layout, path);
      }
      return path;
    };

    const identity = (pointer: string) => pointer;
    /** Maps a pointer inside the target instance to a pointer inside the body. */
    const toBodyOf = (resource: Resource, fact: ContainerFact | undefined): ((pointer: string) => string) => {
      switch (target) {
        case 'body':
          return identity;
        case 'podSpec': {
          const base = resource.facts.podSpecPath ?? '';
          return (pointer) => base + pointer;
        }
        case 'containers':
          return (pointer) => containerPointer(fact!, resource, pointer);
        case 'resource':
          return (pointer) => viewPointerToBodyPointer(resource, pointer);
      }
    };

    /** Evaluate one target instance (`fact` is the container for the `containers` target). */
    const check = (
      resource: Resource,
      data: unknown,
      fact: ContainerFact | undefined,
    ): Violation | undefined => {
      if (when && !when(data)) return undefined;
      const unknownPaths = resource.unknownPaths;
      const container = fact?.container;
      if (validate(data)) {
        if (!unknownPaths || unknownPaths.length === 0) return undefined;
        const relevant = readUnknowns(unknownPaths, readsOf(resource, fact));
        if (relevant.length === 0) return undefined;
        return {
          path: relevant[0]!,
          status: 'unknown',
          unknownPaths: relevant.slice(),
          values: container ? { container, value: undefined } : { value: undefined },
        };
      }
      let path: string;
      let value: unknown;
      if (reportTokens) {
        path = reportBodyPath(resource, fact);
        value = data;
        for (const token of reportTokens) {
          if (value === null || typeof value !== 'object') {
            value = undefined;
            break;
          }
          value = (value as Record<string, unknown>)[token];
        }
      } else {
        const local = deepestPointer(validate.errors);
        path = toBodyOf(resource, fact)(local);
        value = local === '' ? data : getAtPointer(data, local);
      }
      const values = container ? { container, value, target: data } : { value, target: data };
      if (unknownPaths && unknownPaths.length > 0) {
        // Only unknown values the schema reads can matter: when there are none (ids, ARNs), the
        // errors need not be collected.
        const readUnknown = readUnknowns(unknownPaths, readsOf(resource, fact));
        if (readUnknown.length > 0) {
          const toBody = toBodyOf(resource, fact);
          validateAll ??= compileSchema(policy, ctx, spec.assert, 'assert', true);
          validateAll(data);
          const errorPaths = (validateAll.errors ?? []).map((error) =>
            pointerTokens(toBody(errorPointer(error))),
          );
          // An unknown value matters when the schema reads it and it lies on an error's path: an
          // error at the root (a `not` over the whole body) must not turn unrelated unknowns (ids,
          // ARNs) into an `unknown` verdict.
          const read = readUnknown.map((unknown) => ({ unknown, tokens: unknownTokens(unknown) }));
          const relevant = read
            .filter(({ tokens }) => errorPaths.some((errorPath) => patternOverlaps(errorPath, tokens)))
            .map(({ unknown }) => unknown);
          const allOnUnknown = errorPaths.every((errorPath) =>
            read.some(({ tokens }) => patternOverlaps(errorPath, tokens)),
          );
          if (relevant.length > 0 && allOnUnknown) {
            return { path, status: 'unknown', unknownPaths: relevant, values };
          }
        }
      }
      return { path, values };
    };

    return {
      scope: 'resource',
      evaluate(resource: Resource): Violation[] {
        switch (target) {
          case 'body':
            return one(check(resource, resource.body, undefined));
          case 'podSpec': {
            const podSpec = resource.facts.podSpec;
            return podSpec ? one(check(resource, podSpec, undefined)) : noViolations;
          }
          case 'containers': {
            const containers = resource.facts.containers;
            if (!containers) return noViolations;
            let out: Violation[] | undefined;
            for (const fact of containers) {
              const violation = check(resource, fact, fact);
              if (violation) (out ??= []).push(violation);
            }
            return out ?? noViolations;
          }
          case 'resource':
            return one(check(resource, resourceView(resource), undefined));
        }
        return noViolations;
      },
    };
  },
};
