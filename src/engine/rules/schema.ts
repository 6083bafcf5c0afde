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
    const depth = pointer === '' ? 0 : pointer.split('/').length;
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
    const readPlaces = (toBody: (pointer: string) => string, layout: string): ReadPattern[] => {
      schemaReads ??= schemaReadPatterns(spec.assert);
      if (target === 'body') return schemaReads;
      let mapped = mappedReads.get(layout);
      if (!mapped) {
        mapped = schemaReads.map((read) => ({
          tokens: pointerTokens(
            toBody(
              read.tokens.map((token) => '/' + (token === '*' ? token : escapePointerToken(token))).join(''),
            ),
          ),
          deep: read.deep,
        }));
        if (mappedReads.size < 1024) mappedReads.set(layout, mapped);
      }
      return mapped;
    };
    const layoutOf = (resource: Resource, toBody: (pointer: string) => string): string =>
      target === 'containers'
        ? toBody('/container') + '\0' + toBody('/pod')
        : `${resource.facts.podSpecPath ?? ''}\0${resource.facts.podMetadataPath ?? ''}`;

    /** Evaluate one target instance; `toBody` maps a pointer inside `data` to a pointer inside the body. */
    const check = (
      resource: Resource,
      data: unknown,
      toBody: (pointer: string) => string,
      extra: Record<string, unknown>,
      out: Violation[],
    ): void => {
      if (when && !when(data)) return;
      const unknownPaths = resource.unknownPaths;
      if (validate(data)) {
        if (!unknownPaths || unknownPaths.length === 0) return;
        const reads = readPlaces(toBody, layoutOf(resource, toBody));
        const relevant = unknownPaths.filter((unknown) => {
          const tokens = unknownTokens(unknown);
          return reads.some((read) => readDependsOn(read, tokens));
        });
        if (relevant.length > 0) {
          out.push({
            path: relevant[0]!,
            status: 'unknown',
            unknownPaths: relevant,
            values: { ...extra, value: undefined },
          });
        }
        return;
      }
      const local = reportPath ?? deepestPointer(validate.errors);
      const path = toBody(local);
      const values = { ...extra, value: getAtPointer(data, local), target: data };
      if (unknownPaths && unknownPaths.length > 0) {
        validateAll ??= compileSchema(policy, ctx, spec.assert, 'assert', true);
        validateAll(data);
        const errorPaths = (validateAll.errors ?? []).map((error) =>
          pointerTokens(toBody(errorPointer(error))),
        );
        // An unknown value matters when the schema reads it and it lies on an error's path: an
        // error at the root (a `not` over the whole body) must not turn unrelated unknowns (ids,
        // ARNs) into an `unknown` verdict.
        const reads = readPlaces(toBody, layoutOf(resource, toBody));
        const read = unknownPaths
          .map((unknown) => ({ unknown, tokens: unknownTokens(unknown) }))
          .filter(({ tokens }) => reads.some((place) => readDependsOn(place, tokens)));
        const relevant = read
          .filter(({ tokens }) => errorPaths.some((errorPath) => patternOverlaps(errorPath, tokens)))
          .map(({ unknown }) => unknown);
        const allOnUnknown = errorPaths.every((errorPath) =>
          read.some(({ tokens }) => patternOverlaps(errorPath, tokens)),
        );
        if (relevant.length > 0 && allOnUnknown) {
          out.push({ path, status: 'unknown', unknownPaths: relevant, values });
          return;
        }
      }
      out.push({ path, values });
    };

    const identity = (pointer: string) => pointer;

    return {
      scope: 'resource',
      evaluate(resource: Resource): Violation[] {
        const out: Violation[] = [];
        switch (target) {
          case 'body':
            check(resource, resource.body, identity, {}, out);
            break;
          case 'podSpec': {
            const podSpec = resource.facts.podSpec;
            const base = resource.facts.podSpecPath ?? '';
            if (podSpec) check(resource, podSpec, (pointer) => base + pointer, {}, out);
            break;
          }
          case 'containers':
            for (const fact of resource.facts.containers ?? []) {
              check(
                resource,
                fact,
                (pointer) => containerPointer(fact, resource, pointer),
                { container: fact.container },
                out,
              );
            }
            break;
          case 'resource':
            check(
              resource,
              resourceView(resource),
              (pointer) => viewPointerToBodyPointer(resource, pointer),
              {},
              out,
            );
            break;
        }
        return out;
      },
    };
  },
};
