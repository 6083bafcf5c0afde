import { describe, expect, it } from 'vitest';
import { createRuleAjv } from '../../../src/engine/ajv.js';
import { looksLikeSecret } from '../../../src/engine/keywords/secretLike.js';

describe('secretLike keyword', () => {
  const ajv = createRuleAjv();
  const noLiteralSecrets = ajv.compile({ items: { not: { secretLike: true } } });

  it.each([
    ['DB_PASSWORD', 'hunter2'],
    ['stripeApiKey', 'rk_test_51Hx'],
    ['GITHUB_TOKEN', 'abc'],
    ['aws-secret-access-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['SECRET_KEY_BASE', '9f8e7d6c5b4a'],
    ['DATABASE_URL', 'postgres://app:s3cr3t@db.internal:5432/app'],
    ['AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE'],
    ['SIGNING_KEY', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...'],
    ['SLACK_HOOK', 'xoxb-123456789012-abcdefghij'],
    ['DEPLOY_KEY', '---BEGIN OPENSSH PRIVATE KEY---\nb3BlbnNzaC1rZXktdjEAAAAA'],
    ['PUTTY_KEY', '---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "rsa-key"'],
    ['RELEASE_SIGNING', '-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF'],
  ])('flags %s with a literal value', (name, value) => {
    expect(looksLikeSecret(value, name)).toBe(true);
    expect(noLiteralSecrets([{ name, value }])).toBe(false);
  });

  it.each([
    ['LOG_LEVEL', 'info'],
    ['PASSWORD_MIN_LENGTH', '12'],
    ['TOKEN_TTL_SECONDS', '3600'],
    ['DB_PASSWORD_FILE', '/run/secrets/db-password'],
    ['DB_PASSWORD', ''],
    ['DB_PASSWORD', '${DB_PASSWORD}'],
    ['API_KEY', 'changeme'],
    ['DATABASE_URL', 'postgres://db.internal:5432/app'],
    ['CA_BUNDLE', '-----BEGIN CERTIFICATE-----\nMIIDdzCC'],
    ['SSH_PUBLIC', '---- BEGIN SSH2 PUBLIC KEY ----\nAAAAB3Nza'],
  ])('lets %s=%j pass', (name, value) => {
    expect(looksLikeSecret(value, name)).toBe(false);
    expect(noLiteralSecrets([{ name, value }])).toBe(true);
  });

  it('ignores valueFrom references and judges bare strings by value only', () => {
    expect(
      noLiteralSecrets([
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      ]),
    ).toBe(true);
    expect(ajv.validate({ secretLike: true }, 'AKIAIOSFODNN7EXAMPLE')).toBe(true);
    expect(ajv.validate({ secretLike: true }, 'hunter2')).toBe(false);
    expect(ajv.validate({ secretLike: false }, 'hunter2')).toBe(true);
  });
});
