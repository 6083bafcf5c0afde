/**
 * Every error parapet raises on purpose has a code from this catalogue and a one-line message that
 * names the file or field at fault. The CLI prints `error: <message>` and exits 2; the server maps
 * them to AdmissionReview answers. Anything else reaching the top is a bug.
 */
export const errorCodes = {
  PARAPET_INPUT_READ: 'cannot read input',
  PARAPET_INPUT_PARSE: 'input is not well-formed',
  PARAPET_INPUT_FORMAT: 'input format is not supported',
  PARAPET_INPUT_TOO_LARGE: 'input is too large',
  PARAPET_INPUT_EMPTY: 'nothing to check',
  PARAPET_INPUT_RENDER: 'cannot render a Helm chart or kustomization',
  PARAPET_POLICY_READ: 'cannot read policy',
  PARAPET_POLICY_INVALID: 'policy file is invalid',
  PARAPET_POLICY_DUPLICATE: 'policy id is defined twice',
  PARAPET_POLICY_COMPILE: 'policy rule does not compile',
  PARAPET_CONFIG_INVALID: 'configuration is invalid',
  PARAPET_CONFIG_READ: 'cannot read configuration',
  PARAPET_BASELINE_INVALID: 'baseline file is invalid',
  PARAPET_USAGE: 'invalid usage',
  PARAPET_TLS: 'TLS material is unusable',
  PARAPET_REGISTRY: 'registry request failed',
  PARAPET_IMAGE_INVALID: 'image manifest, configuration or archive is invalid',
  PARAPET_REGO: 'Rego policy cannot be used',
  PARAPET_KYVERNO: 'Kyverno policy or test cannot be used',
  PARAPET_PRICING_INVALID: 'price catalogue is invalid',
  PARAPET_CLUSTER: 'cluster request failed',
  PARAPET_SUITE_INVALID: 'Gatekeeper test suite is invalid',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class ParapetError extends Error {
  readonly code: ErrorCode;
  /** The file (or `-` for stdin, or a URL) the error is about, when there is one. */
  readonly file?: string;
  /** The 1-based line in `file` the error is at, when known. */
  readonly line?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { file?: string; line?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ParapetError';
    this.code = code;
    this.file = options.file;
    this.line = options.line;
  }
}

export function isParapetError(error: unknown): error is ParapetError {
  return error instanceof ParapetError;
}

/** A one-line description of any thrown value, for error findings and logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

/**
 * `text` when it has at most `max` characters, else its first `keep` and its length
 * (`abc... (1,000,000 characters)`): hostile input stays a short line in messages.
 */
export function abbreviate(text: string, max: number, keep: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, keep)}... (${text.length.toLocaleString('en-US')} characters)`;
}
