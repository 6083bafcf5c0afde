import type { ErrorObject, ValidateFunction } from 'ajv';
import { describeError, ParapetError } from '../../model/errors.js';
import type { Policy, SchemaRule } from '../../model/policy.js';
import type { ContainerFact, Resource } from '../../model/resource.js';
import { escapePointerToken, pointerTokens } from '../pointer.js';
import { patternOverlaps, readDependsOn, schemaReadPatterns, type ReadPattern } from '../schema-paths.js';
import { UnknownVerdict, verdictParts, type SubschemaTest } from '../unknown-verdict.js';
import { templateReadsRuleValues } from '../template.js';
import { transientResourceView, viewPointerToBodyPointer } from '../view.js';
import { schemaFailure, schemaPredicate } from './schema-predicate.js';
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

/** The value at a pointer's tokens, as `getAtPointer` finds it. */
function valueAt(root: unknown, tokens: readonly string[]): unknown {
  let current = root;
  for (const token of tokens) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}

/** The shared result of a rule with nothing to report (never mutated). */
const noViolations: Violation[] = Object.freeze([]) as unknown as Violation[];
const one = (violation: Violation | undefined): Violation[] => (violation ? [violation] : noViolations);

// A rule reports the same few places again and again: one pointer string per (place, property),
// so findings share it and comparing or hashing it finds it flat.
const missingPointers = new Map<string, Map<string, string>>();
function missingPointer(instancePath: string, property: string): string {
  let byProperty = missingPointers.get(instancePath);
  if (!byProperty) {
    if (missingPointers.size > 4096) missingPointers.clear();
    byProperty = new Map();
    missingPointers.set(instancePath, byProperty);
  }
  let pointer = byProperty.get(property);
  if (pointer === undefined) {
    pointer = `${instancePath}/${escapePointerToken(property)}`;
    if (byProperty.size < 4096) byProperty.set(property, pointer);
  }
  return pointer;
}

/** The JSON pointer an ajv error denotes: for `required`, the missing property itself. */
function errorPointer(error: ErrorObject): string {
  if (
    (error.keyword === 'required' || error.keyword === 'dependentRequired') &&
    typeof error.params.missingProperty === 'string'
  ) {
    return missingPointer(error.instancePath, error.params.missingProperty);
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
    // Where the schema allows, plain code answers: the place of the first failure (as ajv would
    // name it), else a predicate with ajv run only on a failing assert, for the errors that place it.
    const failure = schemaFailure(spec.assert);
    const passes = failure ? undefined : schemaPredicate(spec.assert);
    const whenValidate = spec.when === undefined ? undefined : compileSchema(policy, ctx, spec.when, 'when');
    const when = whenValidate && (schemaPredicate(spec.when) ?? whenValidate);
    const reportPath = spec.path;
    // The values below (`value`, `target`, `container`) exist for the message: most messages read
    // only the resource, and a finding then need not carry an object of them.
    const messageReadsValues = templateReadsRuleValues(policy.message);
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

    /** Targets where unknown paths map to the data by a fixed prefix (Terraform resources use these). */
    const judgesParts = target === 'body' || target === 'resource';
    // Parts of the assert schema compiled on demand, for verdicts that read unknown values.
    const subschemas = new WeakMap<object, ValidateFunction | null>();
    const validatesPart: SubschemaTest = (schema, value) => {
      if (typeof schema === 'boolean') return schema;
      if (schema === null || typeof schema !== 'object') return undefined;
      if (schema === spec.assert) return validate(value);
      let validatePart = subschemas.get(schema);
      if (validatePart === undefined) {
        try {
          validatePart = ctx.ajv.compile(schema as Record<string, unknown>);
        } catch {
          // A part that does not compile alone ($ref into the whole schema) settles nothing.
          validatePart = null;
        }
        subschemas.set(schema, validatePart);
      }
      return validatePart === null ? undefined : validatePart(value);
    };
    if (ctx.ajv.ahead && judgesParts && [policy.match.source].flat().includes('terraform'))
      for (const part of verdictParts(spec.assert)) validatesPart(part, undefined);
    /** Judges the verdict on a body or whole-resource target against the resource's unknown paths. */
    const unknownVerdict = (unknowns: readonly string[]): UnknownVerdict =>
      new UnknownVerdict(
        unknowns.map((unknown) =>
          target === 'resource' ? ['body', ...unknownTokens(unknown)] : unknownTokens(unknown),
        ),
        validatesPart,
      );

    // The last place reported: its tokens, and its body pointer when that is the same for every resource.
    let lastLocal: string | undefined;
    let lastTokens: string[] = [];
    let lastPath: string | undefined;

    /** Evaluate one target instance (`fact` is the container for the `containers` target). */
    const check = (
      resource: Resource,
      data: unknown,
      fact: ContainerFact | undefined,
    ): Violation | undefined => {
      if (when && !when(data)) return undefined;
      const unknownPaths = resource.unknownPaths;
      const container = fact?.container;
      // The place ajv's first error names, found without ajv where the schema allows.
      let failedAt: string | undefined;
      let passed: boolean;
      if (failure !== undefined) {
        failedAt = failure(data);
        passed = failedAt === undefined;
      } else passed = (passes !== undefined && passes(data)) || validate(data);
      if (passed) {
        if (!unknownPaths || unknownPaths.length === 0) return undefined;
        const relevant = readUnknowns(unknownPaths, readsOf(resource, fact));
        if (relevant.length === 0) return undefined;
        // The pass holds whatever they turn out to be (a private endpoint with unknown CIDRs).
        if (judgesParts && unknownVerdict(relevant).passes(spec.assert, data)) return undefined;
        return {
          path: relevant[0]!,
          status: 'unknown',
          unknownPaths: relevant.slice(),
          values: !messageReadsValues
            ? undefined
            : container
              ? { container, value: undefined }
              : { value: undefined },
        };
      }
      const local = reportPath ?? failedAt ?? deepestPointer(validate.errors);
      let toBody: ((pointer: string) => string) | undefined;
      if (local !== lastLocal) {
        lastLocal = local;
        lastTokens = pointerTokens(local);
        lastPath = undefined;
      }
      let path = lastPath;
      if (path === undefined) {
        toBody = toBodyOf(resource, fact);
        path = toBody(local);
        // Inside the body, or under `/body` of the whole resource, the place maps the same way for every resource.
        if (target === 'body' || (target === 'resource' && local.startsWith('/body'))) lastPath = path;
      }
      let values: Violation['values'];
      if (messageReadsValues) {
        const value = valueAt(data, lastTokens);
        values = container ? { container, value, target: data } : { value, target: data };
      }
      if (unknownPaths && unknownPaths.length > 0) {
        // Only unknown values the schema reads can matter: when there are none (ids, ARNs), the
        // errors need not be collected.
        const readUnknown = readUnknowns(unknownPaths, readsOf(resource, fact));
        if (readUnknown.length > 0) {
          const bodyOf = (toBody ??= toBodyOf(resource, fact));
          validateAll ??= compileSchema(policy, ctx, spec.assert, 'assert', true);
          validateAll(data);
          const errorPaths = (validateAll.errors ?? []).map((error) =>
            pointerTokens(bodyOf(errorPointer(error))),
          );
          const read = readUnknown.map((unknown) => ({ unknown, tokens: unknownTokens(unknown) }));
          const onErrors = read
            .filter(({ tokens }) => errorPaths.some((errorPath) => patternOverlaps(errorPath, tokens)))
            .map(({ unknown }) => unknown);
          if (judgesParts) {
            // The failure stands when a part that must hold fails on known values alone; else the
            // unknowns can still make it pass (an `anyOf` branch resting on one of them).
            if (!unknownVerdict(readUnknown).fails(spec.assert, data)) {
              const unknowns = onErrors.length > 0 ? onErrors : readUnknown.slice();
              return { path: unknowns[0]!, status: 'unknown', unknownPaths: unknowns, values };
            }
          } else {
            // An unknown value matters when the schema reads it and it lies on an error's path: an
            // error at the root (a `not` over the whole body) must not turn unrelated unknowns (ids,
            // ARNs) into an `unknown` verdict.
            const allOnUnknown = errorPaths.every((errorPath) =>
              read.some(({ tokens }) => patternOverlaps(errorPath, tokens)),
            );
            if (onErrors.length > 0 && allOnUnknown) {
              return { path, status: 'unknown', unknownPaths: onErrors, values };
            }
          }
        }
      }
      return { path, values };
    };

    /** Every target but `containers` is one instance per resource: at most one violation. */
    const single = (resource: Resource): Violation | undefined => {
      switch (target) {
        case 'body':
          return check(resource, resource.body, undefined);
        case 'podSpec': {
          const podSpec = resource.facts.podSpec;
          return podSpec ? check(resource, podSpec, undefined) : undefined;
        }
        case 'resource':
          return check(resource, transientResourceView(resource), undefined);
      }
      return undefined;
    };

    return {
      scope: 'resource',
      evaluate(resource: Resource): Violation[] {
        if (target !== 'containers') return one(single(resource));
        const containers = resource.facts.containers;
        if (!containers) return noViolations;
        let out: Violation[] | undefined;
        for (const fact of containers) {
          const violation = check(resource, fact, fact);
          if (violation) (out ??= []).push(violation);
        }
        return out ?? noViolations;
      },
      evaluateOne: target === 'containers' ? undefined : single,
    };
  },
};
