/**
 * Names that announce a credential: `DB_PASSWORD`, `stripeApiKey`, `GITHUB_TOKEN`, `aws_secret_access_key`.
 * Matched on the name split into words, so `TOKEN_TTL_SECONDS` or `PASSWORD_MIN_LENGTH` (settings about a
 * credential, not the credential) do not count.
 */
const credentialWords =
  /(?:^|_)(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|SECRET_KEY|CLIENT_SECRET|TOKEN|ACCESS_TOKEN|AUTH_TOKEN|API_KEY|APIKEY|PRIVATE_KEY|ACCESS_KEY|SECRET_ACCESS_KEY|SECRET_KEY_BASE|CREDENTIALS?|DSN|CONNECTION_STRING)$/;
const settingWords =
  /(?:^|_)(?:FILE|PATH|DIR|TTL|SECONDS|MS|LENGTH|LEN|MIN|MAX|ENABLED|REF|NAME|HEADER|URL|ENDPOINT|TYPE|MODE|REGION|ID)$/;

/** Values that are credentials whatever they are called (well-known prefixes and formats). */
const credentialValues = [
  /^AKIA[0-9A-Z]{16}$/, // AWS access key id
  // PEM (five dashes), SSH2/PuTTY-style (four) and hand-trimmed armour (three); PGP key blocks too.
  /-{3,} ?BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{3,}/,
  /^gh[pousr]_[A-Za-z0-9]{36,}$/, // GitHub tokens
  /^github_pat_[A-Za-z0-9_]{40,}$/,
  /^xox[abprs]-[A-Za-z0-9-]{10,}$/, // Slack tokens
  /^sk_live_[A-Za-z0-9]{20,}$/, // Stripe secret keys
  /^glpat-[A-Za-z0-9_-]{20,}$/, // GitLab personal access tokens
  /^eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}$/, // JSON Web Tokens
  /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/, // URLs with an inline password
];

/** Placeholders that are clearly not the secret itself. */
const placeholder =
  /^(?:|changeme|change-me|placeholder|redacted|dummy|example|none|null|xxx+|\*+|\$\{[^}]+\}|\$\([^)]+\)|\{\{[^}]+\}\})$/i;

function words(name: string): string {
  // camelCase -> CAMEL_CASE, dashes and dots -> underscores.
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-.\s]+/g, '_')
    .toUpperCase();
}

/** True when a literal `value` stored under `name` (if any) looks like a credential. */
export function looksLikeSecret(value: string, name?: string): boolean {
  const trimmed = value.trim();
  if (placeholder.test(trimmed)) return false;
  if (credentialValues.some((pattern) => pattern.test(trimmed))) return true;
  if (name === undefined) return false;
  const normalized = words(name);
  return credentialWords.test(normalized) && !settingWords.test(normalized);
}

/**
 * `secretLike: true|false`: whether the data holds a literal credential. A string is judged by its
 * value; a `{ name, value }` pair (a container env var, a Terraform environment variable) by both.
 * Typical use: `items: { not: { secretLike: true } }` over a container's `env`. A `valueFrom`
 * reference has no literal `value` and never matches.
 */
export function secretLikePredicate(expected: boolean): (data: unknown) => boolean {
  return (data: unknown) => {
    let secret = false;
    if (typeof data === 'string') secret = looksLikeSecret(data);
    else if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
      const { name, value } = data as { name?: unknown; value?: unknown };
      if (typeof value === 'string')
        secret = looksLikeSecret(value, typeof name === 'string' ? name : undefined);
    }
    return secret === expected;
  };
}
