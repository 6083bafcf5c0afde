/**
 * Kubernetes' format library (1.31+): `format.named(name)`, `format.<name>()` and
 * `format.validate(value)`, which answers optional.none() for a valid value or the list of the
 * API machinery's own error messages.
 */
import { celList, type CelValue } from '@bufbuild/cel';
import { Optional, OpaqueValue, opaqueDesc } from '../values.js';
import { asString, fn, noOverload, typedMethod, type CelLibrary } from './define.js';
import { parseRequestUri } from './urls.js';

const FORMAT_DESC = opaqueDesc('kubernetes.NamedFormat');
const method = typedMethod('kubernetes.NamedFormat');

class FormatValue extends OpaqueValue {
  readonly desc = FORMAT_DESC;
  constructor(
    readonly name: string,
    readonly validate: (value: string) => string[],
  ) {
    super();
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof FormatValue && other.name === this.name;
  }
}

/** apimachinery's RegexError, spacing included (`'a',  or 'b', `). */
function goRegexError(message: string, format: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${format}')`;
  let out = `${message} (e.g. `;
  examples.forEach((example, i) => {
    if (i > 0) out += ' or ';
    out += `'${example}', `;
  });
  return `${out}regex used for validation is '${format}')`;
}

const maxLen = (length: number) => `must be no more than ${length} characters`;
const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const anchored = (format: string) => new RegExp(`^${format}$`);
const dns1123Label = anchored(dns1123LabelFmt);
const dns1123Subdomain = anchored(dns1123SubdomainFmt);
const dns1035Label = anchored(dns1035LabelFmt);
const qualifiedName = anchored(qualifiedNameFmt);
const labelValue = anchored(`(${qualifiedNameFmt})?`);

function isDns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!dns1123Label.test(value)) {
    if (dns1123Subdomain.test(value)) errs.push('must not contain dots');
    else
      errs.push(
        goRegexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          dns1123LabelFmt,
          'my-name',
          '123-abc',
        ),
      );
  }
  return errs;
}

function isDns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLen(253));
  if (!dns1123Subdomain.test(value))
    errs.push(
      goRegexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFmt,
        'example.com',
      ),
    );
  return errs;
}

function isDns1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!dns1035Label.test(value))
    errs.push(
      goRegexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFmt,
        'my-name',
        'abc-123',
      ),
    );
  return errs;
}

function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDns1123Subdomain(prefix).map((message) => `prefix part ${message}`));
  } else {
    return [
      `a qualified name ${goRegexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (!qualifiedName.test(name))
    errs.push(
      `name part ${goRegexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`,
    );
  return errs;
}

function isLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!labelValue.test(value))
    errs.push(
      goRegexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        `(${qualifiedNameFmt})?`,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  return errs;
}

/** Go's maskTrailingDash (as written: it drops two characters and appends `a`). */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

const uuid = /^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$/i;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function validDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function validDateTime(value: string): boolean {
  const match = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(value);
  return (
    match !== null &&
    validDate(match[1]!) &&
    Number(match[2]) < 24 &&
    Number(match[3]) < 60 &&
    Number(match[4]) < 61
  );
}

const formats: Record<string, (value: string) => string[]> = {
  dns1123Label: isDns1123Label,
  dns1123Subdomain: isDns1123Subdomain,
  dns1035Label: isDns1035Label,
  qualifiedName: isQualifiedName,
  dns1123LabelPrefix: (value) => isDns1123Label(maskTrailingDash(value)),
  dns1123SubdomainPrefix: (value) => isDns1123Subdomain(maskTrailingDash(value)),
  dns1035LabelPrefix: (value) => isDns1035Label(maskTrailingDash(value)),
  labelValue: isLabelValue,
  uri: (value) => {
    try {
      parseRequestUri(value);
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  },
  uuid: (value) => (uuid.test(value) ? [] : ['does not match the UUID format']),
  byte: (value) => (base64.test(value) ? [] : ['invalid base64']),
  date: (value) => (validDate(value) ? [] : ['invalid date']),
  datetime: (value) => (validDateTime(value) ? [] : ['invalid datetime']),
};

export const formatLibrary: CelLibrary = {
  name: 'format',
  funcs: [
    ...Object.entries(formats).map(([name, validate]) =>
      fn(`format.${name}`, 0, () => new FormatValue(name, validate)),
    ),
    fn('format.named', 1, (name) => {
      const key = asString('format.named', name);
      const validate = Object.hasOwn(formats, key) ? formats[key] : undefined;
      return validate ? Optional.of(new FormatValue(key, validate) as unknown as CelValue) : Optional.none;
    }),
    method('validate', 1, (self, value) => {
      if (!(self instanceof FormatValue)) throw noOverload('validate', self, value);
      const errors = self.validate(asString('validate', value));
      return errors.length === 0 ? Optional.none : Optional.of(celList(errors));
    }),
  ],
};
