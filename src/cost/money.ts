const formatters = new Map<string, Intl.NumberFormat>();

/**
 * What `Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })` writes for a
 * non-negative amount, without its cost (a few microseconds a call, once per priced resource).
 * Like ICU it rounds the shortest decimal form of the number half away from zero (`9.995` is
 * `$10.00` although the double lies just below); a property test holds the two to each other.
 */
export function formatUsd(amount: number): string {
  if (!Number.isFinite(amount) || amount >= 1e15) return intlFormatter('USD').format(amount);
  const decimal = String(amount);
  if (decimal.includes('e')) return '$0.00'; // below 1e-6
  const point = decimal.indexOf('.');
  const whole = point === -1 ? decimal : decimal.slice(0, point);
  const fraction = point === -1 ? '' : decimal.slice(point + 1);
  // The amount in cents as a digit string, then rounded on the third decimal.
  let cents = whole + (fraction + '00').slice(0, 2);
  if (fraction.length > 2 && fraction.charCodeAt(2) >= 53 /* '5' */) cents = incrementDigits(cents);
  cents = cents.replace(/^0+(?=\d{3})/, '');
  const units = cents.slice(0, -2);
  let grouped = '';
  for (let end = units.length; end > 0; end -= 3) {
    const group = units.slice(Math.max(0, end - 3), end);
    grouped = grouped === '' ? group : `${group},${grouped}`;
  }
  return `$${grouped}.${cents.slice(-2)}`;
}

function incrementDigits(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') i -= 1;
  if (i < 0) return '1' + '0'.repeat(digits.length);
  return (
    digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1) + '0'.repeat(digits.length - i - 1)
  );
}

/** Intl's currency formatter, one per currency. */
function intlFormatter(currency: string): Intl.NumberFormat {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    formatters.set(currency, formatter);
  }
  return formatter;
}

/** `1234.5` -> `$1,234.50`; with `signed`, `+$1,234.50` / `-$12.00`; null -> `unknown`. */
export function formatMoney(value: number | null, currency: string, signed = false): string {
  if (value === null) return 'unknown';
  const amount = Math.abs(value);
  const text = currency === 'USD' ? formatUsd(amount) : intlFormatter(currency).format(amount);
  if (value < 0 && Math.abs(value) >= 0.005) return `-${text}`;
  return signed && value >= 0.005 ? `+${text}` : text;
}

/** Unit prices keep their precision: `0.0000166667` stays readable as `$0.0000166667`. */
export function formatUnitPrice(value: number | null, currency: string): string {
  if (value === null) return 'unknown';
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  return `${symbol}${value.toFixed(Math.max(2, Math.min(10, String(value).split('.')[1]?.length ?? 0)))}`;
}
