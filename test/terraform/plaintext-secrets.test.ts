import { describe, expect, it } from 'vitest';
import { tfPlaintextSecretsCheck } from '../../src/engine/checks/tf-plaintext-secrets.js';
import type { Policy } from '../../src/model/policy.js';
import type { Resource } from '../../src/model/resource.js';
import type { CompileContext, EvalContext } from '../../src/engine/rules/types.js';
import { defaultSettings } from '../../src/model/settings.js';

const policy = {
  id: 'aws-secret-in-plaintext',
  file: 'policies/terraform/aws/iam/aws-secret-in-plaintext.yaml',
} as Policy;
const rule = tfPlaintextSecretsCheck.compile(
  { ignoreKeys: ['DEPLOY_TOKEN_NAME_HINT'] },
  policy,
  {} as CompileContext,
);
const ctx = { settings: defaultSettings(), notices: [], resources: [] } as EvalContext;

function lambda(variables: Record<string, string>, tags: Record<string, string> = {}): Resource {
  return {
    source: 'terraform',
    kind: 'aws_lambda_function',
    id: 'aws_lambda_function.api',
    name: 'api',
    labels: {},
    location: { file: 'plan.json', line: 1 },
    body: { function_name: 'api', environment: [{ variables }], tags },
    facts: {},
  };
}

describe('tf-plaintext-secrets', () => {
  it('finds known token formats whatever the variable is called, without echoing them', () => {
    const violations = rule.evaluate!(lambda({ NOTIFY: 'xoxb-2048-abcdefGHIJ', DEBUG: 'false' }), ctx);
    expect(violations.map((v) => [v.path, v.message])).toEqual([
      [
        '/environment/0/variables/NOTIFY',
        'aws_lambda_function.api has a Slack token in plain text in environment variable NOTIFY',
      ],
    ]);
  });

  it('flags literal values of secret-named variables but not references, flags, numbers or paths', () => {
    const violations = rule.evaluate!(
      lambda({
        DB_PASSWORD: 'Tr0ub4dor&3x',
        API_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-AbCdEf',
        TOKEN_TTL: '3600',
        PASSWORD_FILE: '/run/secrets/db',
        AUTH_ENABLED: 'true',
        SECRET_NAME: 'prod/api/db',
        DEPLOY_TOKEN_NAME_HINT: 'Abc123-xyz-789',
      }),
      ctx,
    );
    expect(violations.map((v) => v.path)).toEqual(['/environment/0/variables/DB_PASSWORD']);
  });

  it('reads tags too, and leaves short plain words alone', () => {
    const violations = rule.evaluate!(
      lambda({}, { secret_rotation: 'enabled', api_key: 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW' }),
      ctx,
    );
    expect(violations.map((v) => v.path)).toEqual(['/tags/api_key']);
  });
});

describe('tf-plaintext-secrets verdicts remembered per name and value', () => {
  it('judges the same value under another name, and another value under the same name, afresh', () => {
    const value = 'Tr0ub4dor&3x-unique';
    // The same pair twice (remembered), then the value under a harmless name, then the name with a reference.
    expect(rule.evaluate!(lambda({ DB_PASSWORD: value }), ctx).map((v) => v.path)).toEqual([
      '/environment/0/variables/DB_PASSWORD',
    ]);
    expect(rule.evaluate!(lambda({ DB_PASSWORD: value }), ctx).map((v) => v.path)).toEqual([
      '/environment/0/variables/DB_PASSWORD',
    ]);
    expect(rule.evaluate!(lambda({ GREETING: value }), ctx)).toEqual([]);
    expect(rule.evaluate!(lambda({ DB_PASSWORD: '${var.db_password}' }), ctx)).toEqual([]);
  });
});
