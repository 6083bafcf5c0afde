/**
 * Heuristics for secrets baked into image environment variables. Two signals, either suffices:
 * the value has the shape of a well-known credential, or the name says secret and the value is a
 * literal (not empty, not a file path, not a placeholder).
 */
const credentialShapes: Array<[string, RegExp]> = [
  ['AWS access key id', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ['GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/],
  ['Stripe live key', /\b[sr]k_live_[A-Za-z0-9]{20,}\b/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['private key', /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/],
  ['credentials in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s/@]+@/i],
];

const secretName =
  /(?:^|_)(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|SECRET_?KEY|CLIENT_SECRET|CREDENTIALS?|AUTH)(?:_|$)/i;
/** Names that point at a secret rather than hold one, or hold public material. */
const referenceName =
  /(?:_FILE|_PATH|_DIR|_URL_?TEMPLATE|_ENABLED|_LENGTH|_TTL|_HEADER|_NAME|_VERSION|_ID)$|GPG_?KEYS?|PUBLIC/i;
const placeholder =
  /^(?:|changeme|change-me|placeholder|none|null|false|true|\$\{?[A-Z_][A-Z0-9_]*\}?|<[^>]*>|\*+|x+)$/i;

/** Why `name=value` looks like a secret, or undefined. */
export function secretLikeReason(name: string, value: string): string | undefined {
  for (const [label, shape] of credentialShapes) if (shape.test(value)) return `value looks like a ${label}`;
  if (
    secretName.test(name) &&
    !referenceName.test(name) &&
    !placeholder.test(value.trim()) &&
    !value.startsWith('/')
  ) {
    return `name ${name} suggests a secret and it has a literal value`;
  }
  return undefined;
}
