/**
 * Gatekeeper test suites (`kind: Suite`, `test.gatekeeper.sh/v1alpha1`), run as `gator verify`
 * runs them: each test compiles a ConstraintTemplate and a Constraint, each case reviews one object
 * (a manifest or an AdmissionReview) with the case's inventory as `data.inventory` and as the
 * Namespaces `namespaceSelector` reads, and checks the violations against the case's assertions.
 * Paths in a suite are relative to the suite file.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createRuleAjv } from '../engine/ajv.js';
import type { EvalContext } from '../engine/rules/types.js';
import { loadInputs } from '../inputs/load.js';
import { describeError, isParapetError, ParapetError } from '../model/errors.js';
import type { Resource } from '../model/resource.js';
import type { Settings } from '../model/settings.js';
import {
  isConstraint,
  isConstraintTemplate,
  modeForAction,
  parseConstraint,
  parseTemplate,
  type AdmissionRequestLike,
  type Constraint,
  type ConstraintTemplate,
} from './gatekeeper.js';
import { compileRegoRule } from './rule.js';
import { gatekeeperPolicy, parametersProblem } from './source.js';

export const suiteApiVersion = 'test.gatekeeper.sh/v1alpha1';

/** `violations`: a count, or `yes` (at least one) / `no` (none); Gatekeeper's default is `yes`. */
export interface SuiteAssertion {
  violations: number | 'yes' | 'no';
  /** Go regular expression the counted violations' messages must match (all count when unset). */
  message?: string;
  pattern?: RegExp;
}

export interface SuiteCase {
  name: string;
  object: string;
  inventory: string[];
  assertions: SuiteAssertion[];
  skip: boolean;
}

export interface SuiteTest {
  name: string;
  template: string;
  constraint: string;
  /** The Constraint is expected to be refused by the template's schema. */
  invalid: boolean;
  cases: SuiteCase[];
  skip: boolean;
}

export interface Suite {
  file: string;
  name: string;
  skip: boolean;
  tests: SuiteTest[];
}

export interface CaseResult {
  name: string;
  /** `skip` for skipped tests and cases. */
  outcome: 'pass' | 'fail' | 'skip';
  /** Why it failed: the first assertion that does not hold, or the review error. */
  problem?: string;
}

export interface TestResult {
  name: string;
  outcome: 'pass' | 'fail' | 'skip';
  /** A test-level failure (an `invalid` test whose Constraint was accepted). */
  problem?: string;
  cases: CaseResult[];
}

export interface SuiteResult {
  file: string;
  skipped: boolean;
  tests: TestResult[];
}

function invalid(file: string, message: string): never {
  throw new ParapetError('PARAPET_SUITE_INVALID', `${file}: ${message}`, { file });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function yamlDocuments(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    invalid(file, `cannot read: ${describeError(error)}`);
  }
  const values: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) invalid(file, `invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

/** Go's RE2 syntax as a JavaScript expression: the leading flag group `(?i)`/`(?s)`/`(?m)` becomes flags. */
function goRegExp(source: string): RegExp {
  const flags = /^\(\?([ims]+)\)/.exec(source);
  return flags ? new RegExp(source.slice(flags[0].length), flags[1]!) : new RegExp(source);
}

function readAssertion(raw: unknown, place: string, file: string): SuiteAssertion {
  if (!isObject(raw)) invalid(file, `${place} must be an object with violations and/or message`);
  const violations = raw.violations ?? 'yes';
  if (
    !(typeof violations === 'number' && Number.isInteger(violations) && violations >= 0) &&
    violations !== 'yes' &&
    violations !== 'no'
  )
    invalid(file, `${place}.violations must be a nonnegative integer, "yes", or "no"`);
  const assertion: SuiteAssertion = { violations: violations as SuiteAssertion['violations'] };
  if (raw.message !== undefined && raw.message !== null) {
    if (typeof raw.message !== 'string') invalid(file, `${place}.message must be a regular expression`);
    try {
      assertion.pattern = goRegExp(raw.message);
    } catch (error) {
      invalid(file, `${place}.message is not a valid regular expression: ${describeError(error)}`);
    }
    assertion.message = raw.message;
  }
  return assertion;
}

function stringField(value: unknown, place: string, file: string, required: boolean): string {
  if (value === undefined || value === null || value === '') {
    if (required) invalid(file, `${place} is required`);
    return '';
  }
  if (typeof value !== 'string') invalid(file, `${place} must be a string`);
  return value;
}

/**
 * The Suite files a path names: the file itself, or the YAML files of a directory (not its
 * subdirectories) that hold a `kind: Suite`, as `gator verify DIR` picks them.
 */
export function suiteFiles(path: string): string[] {
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
  } catch (error) {
    invalid(path, `cannot read: ${describeError(error)}`);
  }
  if (!directory) return [path];
  const files = readdirSync(path)
    .filter((name) => /\.ya?ml$/i.test(name))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => /^kind:\s*["']?Suite["']?\s*$/m.test(readFileSync(file, 'utf8')));
  if (files.length === 0)
    invalid(path, 'holds no Suite files (kind: Suite, apiVersion test.gatekeeper.sh/v1alpha1)');
  return files;
}

/** Read and check a Suite file; every structural problem is an error naming the file and the field. */
export function readSuite(file: string): Suite {
  const docs = yamlDocuments(file);
  const suites = docs.filter((doc) => isObject(doc) && doc.kind === 'Suite');
  if (suites.length !== 1)
    invalid(
      file,
      `expected one kind: Suite document (apiVersion ${suiteApiVersion}), found ${suites.length}`,
    );
  const doc = suites[0] as Record<string, unknown>;
  if (doc.apiVersion !== suiteApiVersion)
    invalid(file, `apiVersion must be ${suiteApiVersion} (found ${JSON.stringify(doc.apiVersion)})`);
  const rawTests = doc.tests ?? [];
  if (!Array.isArray(rawTests)) invalid(file, 'tests must be a list');
  const tests = rawTests.map((raw, t): SuiteTest => {
    const place = `tests[${t}]`;
    if (!isObject(raw)) invalid(file, `${place} must be an object`);
    const testInvalid = raw.invalid === true;
    const rawCases = raw.cases ?? [];
    if (!Array.isArray(rawCases)) invalid(file, `${place}.cases must be a list`);
    if (testInvalid && rawCases.length > 0)
      invalid(file, `${place}: invalid and cases are mutually exclusive`);
    return {
      name: stringField(raw.name, `${place}.name`, file, false) || `test ${t + 1}`,
      template: stringField(raw.template, `${place}.template`, file, true),
      constraint: stringField(raw.constraint, `${place}.constraint`, file, true),
      invalid: testInvalid,
      skip: raw.skip === true,
      cases: rawCases.map((rawCase, c): SuiteCase => {
        const casePlace = `${place}.cases[${c}]`;
        if (!isObject(rawCase)) invalid(file, `${casePlace} must be an object`);
        const inventory = rawCase.inventory ?? [];
        if (!Array.isArray(inventory) || inventory.some((item) => typeof item !== 'string'))
          invalid(file, `${casePlace}.inventory must be a list of file paths`);
        const assertions = rawCase.assertions;
        if (!Array.isArray(assertions) || assertions.length === 0)
          invalid(file, `${casePlace}.assertions must be a non-empty list`);
        return {
          name: stringField(rawCase.name, `${casePlace}.name`, file, false) || `case ${c + 1}`,
          object: stringField(rawCase.object, `${casePlace}.object`, file, true),
          inventory: inventory as string[],
          assertions: assertions.map((assertion, a) =>
            readAssertion(assertion, `${casePlace}.assertions[${a}]`, file),
          ),
          skip: rawCase.skip === true,
        };
      }),
    };
  });
  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  return {
    file,
    name: typeof metadata.name === 'string' ? metadata.name : file,
    skip: doc.skip === true,
    tests,
  };
}

function readTemplate(file: string): ConstraintTemplate {
  const templates = yamlDocuments(file).filter(isConstraintTemplate);
  if (templates.length !== 1) invalid(file, `expected one ConstraintTemplate, found ${templates.length}`);
  const template = parseTemplate(templates[0] as Record<string, unknown>, file);
  if (typeof template === 'string') invalid(file, template);
  return template;
}

/** The Constraint, or the schema problem Gatekeeper would refuse it for. */
function readConstraint(file: string, template: ConstraintTemplate): Constraint | { refused: string } {
  const constraints = yamlDocuments(file).filter(isConstraint);
  if (constraints.length !== 1) invalid(file, `expected one Constraint, found ${constraints.length}`);
  const parsed = parseConstraint(constraints[0] as Record<string, unknown>, file);
  if (typeof parsed === 'string') return { refused: parsed };
  if (parsed.kind !== template.kind)
    invalid(
      file,
      `constraint kind ${parsed.kind} is not the kind ${template.kind} that ${template.file} defines`,
    );
  const problem = parametersProblem(template, parsed);
  return problem ? { refused: problem } : parsed;
}

/** The Kubernetes objects of a case file, read as manifests (an AdmissionReview gives its request's object). */
async function objectsOf(file: string): Promise<Resource[]> {
  const { resources } = await loadInputs([file]);
  const objects = resources.filter((resource) => resource.source === 'kubernetes');
  if (objects.length === 0) invalid(file, 'defines no Kubernetes objects');
  return objects;
}

/** `input.review` fields gator leaves empty for an object that is not an AdmissionReview. */
const gatorRequest: AdmissionRequestLike = { uid: '', operation: '', userInfo: {} };

function assertionProblem(assertion: SuiteAssertion, messages: string[]): string | undefined {
  const matching = assertion.pattern
    ? messages.filter((message) => assertion.pattern!.test(message)).length
    : messages.length;
  const containing =
    assertion.message === undefined ? '' : ` containing ${JSON.stringify(assertion.message)}`;
  const got = `got ${matching} violations${containing}`;
  const want = assertion.violations;
  if (want === 'yes' && matching === 0) return `${got} but want at least 1`;
  if (want === 'no' && matching > 0) return `${got} but want none`;
  if (typeof want === 'number' && matching !== want) return `${got} but want exactly ${want}`;
  return undefined;
}

/** Run every test of a suite. Broken references (a missing file, a template that does not compile) throw. */
export async function runSuite(suite: Suite, settings: Settings): Promise<SuiteResult> {
  const result: SuiteResult = { file: suite.file, skipped: suite.skip, tests: [] };
  if (suite.skip) return result;
  const base = dirname(resolve(suite.file));
  const ajv = createRuleAjv();
  const ajvAllErrors = createRuleAjv({ allErrors: true });
  for (const test of suite.tests) {
    const testResult: TestResult = { name: test.name, outcome: 'pass', cases: [] };
    result.tests.push(testResult);
    if (test.skip) {
      testResult.outcome = 'skip';
      testResult.cases = test.cases.map((c) => ({ name: c.name, outcome: 'skip' }));
      continue;
    }
    const template = readTemplate(resolve(base, test.template));
    const constraint = readConstraint(resolve(base, test.constraint), template);
    if (test.invalid) {
      if (!('refused' in constraint)) {
        testResult.outcome = 'fail';
        testResult.problem = `the Constraint was accepted, but the test expects the template's schema to refuse it`;
      }
      continue;
    }
    if ('refused' in constraint) invalid(resolve(base, test.constraint), constraint.refused);
    const mode = modeForAction(constraint.enforcementAction) ?? 'enforce';
    const policy = gatekeeperPolicy(template, constraint, mode, base, false);
    let rule;
    try {
      rule = await compileRegoRule(policy, (policy.rule as { rego: Record<string, unknown> }).rego, {
        settings,
        params: {},
        ajv,
        ajvAllErrors,
      });
    } catch (error) {
      if (isParapetError(error)) throw error;
      throw new ParapetError('PARAPET_REGO', `${template.file}: ${describeError(error)}`, {
        file: template.file,
      });
    }
    for (const testCase of test.cases) {
      const caseResult: CaseResult = { name: testCase.name, outcome: 'pass' };
      testResult.cases.push(caseResult);
      if (testCase.skip) {
        caseResult.outcome = 'skip';
        continue;
      }
      const objectFile = resolve(base, testCase.object);
      const objects = await objectsOf(objectFile);
      if (objects.length !== 1)
        invalid(objectFile, `a case reviews one object, the file defines ${objects.length}`);
      const object = objects[0]!;
      if (!object.facts.admission) object.facts.admission = gatorRequest;
      const inventory: Resource[] = [];
      for (const path of testCase.inventory) inventory.push(...(await objectsOf(resolve(base, path))));
      const ctx: EvalContext = { settings, notices: [], resources: inventory };
      let problem: string | undefined;
      try {
        const violations = rule.evaluate!(object, ctx);
        const unknown = violations.find((violation) => violation.status === 'unknown');
        if (unknown) problem = `review failed: ${unknown.message ?? 'the match could not be decided'}`;
        else {
          const messages = violations.map((violation) => violation.message ?? '');
          for (const assertion of testCase.assertions) {
            problem = assertionProblem(assertion, messages);
            if (problem) {
              problem += messages.length > 0 ? `; got messages ${JSON.stringify(messages)}` : '';
              break;
            }
          }
        }
      } catch (error) {
        problem = `review failed: ${describeError(error)}`;
      }
      if (problem) {
        caseResult.outcome = 'fail';
        caseResult.problem = problem;
      }
    }
    if (testResult.cases.some((c) => c.outcome === 'fail')) testResult.outcome = 'fail';
  }
  return result;
}
