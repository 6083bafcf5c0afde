import type { Policy } from '../../model/policy.js';
import type { Resource } from '../../model/resource.js';
import type { CompiledRule, Violation } from '../rules/types.js';
import { conditionKeys, judgeIamDocuments, type IamStatement } from './aws-iam-documents.js';
import { optionError } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

type Find = 'public' | 'accountWithoutCondition' | 'githubOidc';

interface Options {
  find: Find;
  attributes: string[];
  /** `public`: condition keys that narrow who the principal can be (aws:PrincipalOrgID ...), lower case. */
  restrictingKeys: Set<string>;
  /** `accountWithoutCondition`: account ids trusted without conditions (your own, your organisation's). */
  trustedAccounts: Set<string>;
}

function stringList(policy: Policy, options: Record<string, unknown>, name: string): string[] {
  const value = options[name] ?? [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw optionError(policy, `${name} must be a list of strings`);
  return value as string[];
}

function readOptions(policy: Policy, options: Record<string, unknown>): Options {
  const find = options.find;
  if (find !== 'public' && find !== 'accountWithoutCondition' && find !== 'githubOidc')
    throw optionError(
      policy,
      `find must be public, accountWithoutCondition or githubOidc (got ${JSON.stringify(find)})`,
    );
  const attributes = stringList(policy, options, 'attributes');
  if (!attributes.length) throw optionError(policy, 'attributes must name at least one attribute');
  return {
    find,
    attributes,
    restrictingKeys: new Set(stringList(policy, options, 'restrictingKeys').map((k) => k.toLowerCase())),
    trustedAccounts: new Set(stringList(policy, options, 'trustedAccounts')),
  };
}

const accountPrincipal = /^(?:(\d{12})|arn:aws[a-z-]*:iam::(\d{12}):root)$/;

function awsPrincipals(statement: IamStatement): string[] {
  return statement.principals?.AWS ?? [];
}

/** GitHub's OIDC `sub` claim names one repository of one owner (`repo:OWNER/REPO...`), not a wildcard. */
function scopedGithubSubject(value: string): boolean {
  const match = /^repo:([^/:*?]+)\/([^:]+)(:.*)?$/.exec(value);
  return match !== null && match[2] !== '*';
}

function githubSubjectsScoped(statement: IamStatement): boolean {
  const subjects = Object.values(statement.conditions).flatMap((keys) =>
    Object.entries(keys)
      .filter(([key]) => /^token\.actions\.githubusercontent\.com(\/[A-Za-z0-9_-]+)?:sub$/i.test(key))
      .flatMap(([, values]) => values),
  );
  return subjects.length > 0 && subjects.every(scopedGithubSubject);
}

/** The offending statement's index and what it grants to whom, or undefined. */
function offending(statement: IamStatement, options: Options): Record<string, unknown> | undefined {
  if (statement.effect !== 'Allow') return undefined;
  switch (options.find) {
    case 'public': {
      if (!awsPrincipals(statement).includes('*')) return undefined;
      if (conditionKeys(statement).some((key) => options.restrictingKeys.has(key))) return undefined;
      return { principal: '*' };
    }
    case 'accountWithoutCondition': {
      if (conditionKeys(statement).length) return undefined;
      for (const principal of awsPrincipals(statement)) {
        const match = accountPrincipal.exec(principal);
        const account = match?.[1] ?? match?.[2];
        if (account && !options.trustedAccounts.has(account)) return { principal, account };
      }
      return undefined;
    }
    case 'githubOidc': {
      const federated = statement.principals?.Federated ?? [];
      const github = federated.find((p) => p.includes('oidc-provider/token.actions.githubusercontent.com'));
      if (!github || githubSubjectsScoped(statement)) return undefined;
      return { principal: github };
    }
  }
}

/**
 * `aws-iam-principals`: who a trust or resource policy lets in. `public`: an Allow to every AWS
 * principal (`*`) that no condition narrows to an organisation, account, source or network;
 * `accountWithoutCondition`: a whole other account trusted without any condition (no
 * sts:ExternalId, organisation or MFA check); `githubOidc`: GitHub Actions' OIDC provider trusted
 * without a `sub` condition naming one repository.
 */
export const awsIamPrincipalsCheck: CheckDefinition = {
  name: 'aws-iam-principals',
  description: 'principals trust and resource policies let in: public, other accounts, GitHub OIDC',
  compile(options, policy): CompiledRule {
    const parsed = readOptions(policy, options);
    return {
      scope: 'resource',
      evaluate(resource: Resource): Violation[] {
        return judgeIamDocuments(resource, parsed.attributes, (document) => {
          // The first offending statement of each document.
          for (const [index, statement] of document.statements.entries()) {
            const found = offending(statement, parsed);
            if (found)
              return {
                path: document.path,
                values: { statement: index, ...found },
                details: { statement: index, ...found },
              };
          }
          return undefined;
        });
      },
    };
  },
};
