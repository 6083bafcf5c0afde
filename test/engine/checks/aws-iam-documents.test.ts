import { describe, expect, it } from 'vitest';
import {
  grantsAction,
  iamDocuments,
  type IamStatement,
} from '../../../src/engine/checks/aws-iam-documents.js';
import type { Resource } from '../../../src/model/resource.js';

function resource(kind: string, body: Record<string, unknown>, extra: Partial<Resource> = {}): Resource {
  return {
    source: 'terraform',
    kind,
    id: `${kind}.test`,
    name: 'test',
    labels: {},
    location: { file: 'plan.json', line: 1 },
    body,
    facts: {},
    ...extra,
  };
}

const statementsOf = (r: Resource, attributes: string[]): IamStatement[] =>
  iamDocuments(r, attributes).flatMap((d) => ('statements' in d ? d.statements : []));

describe('IAM documents in a plan', () => {
  it('reads JSON text, a single statement object and string elements alike', () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Principal: '*' },
    });
    const [statement] = statementsOf(resource('aws_iam_policy', { policy }), ['policy']);
    expect(statement).toMatchObject({
      effect: 'Allow',
      actions: ['iam:PassRole'],
      resources: ['*'],
      principals: { AWS: ['*'] },
      conditions: {},
    });
  });

  it('reads the inline_policy blocks of a role, each at its own path', () => {
    const inline = (action: string) => ({
      name: action,
      policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] }),
    });
    const documents = iamDocuments(
      resource('aws_iam_role', { inline_policy: [inline('s3:GetObject'), inline('sqs:SendMessage')] }),
      ['inline_policy'],
    );
    expect(documents.map((d) => d.path)).toEqual(['/inline_policy/0/policy', '/inline_policy/1/policy']);
  });

  it('reads the statement blocks of aws_iam_policy_document, principals and conditions too', () => {
    const [statement] = statementsOf(
      resource('aws_iam_policy_document', {
        statement: [
          {
            effect: 'Allow',
            actions: ['sts:AssumeRoleWithWebIdentity'],
            resources: null,
            not_actions: null,
            not_resources: ['arn:aws:s3:::private/*'],
            principals: [
              { type: 'Federated', identifiers: ['arn:aws:iam::1:oidc-provider/x'] },
              { type: '*', identifiers: ['*'] },
            ],
            condition: [{ test: 'StringLike', variable: 'x:sub', values: ['repo:a/b:*'] }],
          },
        ],
      }),
      ['policy'],
    );
    expect(statement).toEqual({
      effect: 'Allow',
      actions: ['sts:AssumeRoleWithWebIdentity'],
      resources: [],
      notResources: ['arn:aws:s3:::private/*'],
      principals: { Federated: ['arn:aws:iam::1:oidc-provider/x'], AWS: ['*'] },
      conditions: { StringLike: { 'x:sub': ['repo:a/b:*'] } },
    });
  });

  it('is unknown when the configuration sets a document the plan knows only after apply', () => {
    const known = resource('aws_iam_policy', {}, { unknownPaths: ['/policy', '/arn'] });
    expect(iamDocuments(known, ['policy'])).toEqual([
      { path: '/policy', unknown: true, unknownPaths: ['/policy'] },
    ]);
    // Left out of the configuration (the provider computes it): nothing to judge.
    const defaulted = resource(
      'aws_iam_role',
      {},
      { unknownPaths: ['/inline_policy'], facts: { providerDefaulted: ['inline_policy'] } },
    );
    expect(iamDocuments(defaulted, ['assume_role_policy'])).toEqual([]);
  });

  it('matches action wildcards without case, and NotAction as everything but its list', () => {
    const allow = (actions: string[], notActions?: string[]): IamStatement => ({
      effect: 'Allow',
      actions,
      ...(notActions ? { notActions } : {}),
      resources: ['*'],
      conditions: {},
    });
    expect(grantsAction(allow(['IAM:pass*']), 'iam:PassRole')).toBe(true);
    expect(grantsAction(allow(['iam:?assRole']), 'iam:PassRole')).toBe(true);
    expect(grantsAction(allow(['iam:PassRoles']), 'iam:PassRole')).toBe(false);
    expect(grantsAction(allow(['s3:Get.*']), 's3:GetObject')).toBe(false);
    expect(grantsAction(allow([], ['iam:*']), 'iam:PassRole')).toBe(false);
    expect(grantsAction(allow([], ['iam:*']), 'ec2:RunInstances')).toBe(true);
  });
});
