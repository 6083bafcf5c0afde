const formatters = new Map<string, Intl.NumberFormat>();

/** `1234.5` -> `$1,234.50`; with `signed`, `+$1,234.50` / `-$12.00`; null -> `unknown`. */
export function formatMoney(value: number | null, currency: string, signed = false): string {
  if (value === null) return 'unknown';
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
  const text = formatter.format(Math.abs(value));
  if (value < 0 && Math.abs(value) >= 0.005) return `-${text}`;
  return signed && value >= 0.005 ? `+${text}` : text;
}

/** Unit prices keep their precision: `0.0000166667` stays readable as `$0.0000166667`. */
export function formatUnitPrice(value: number | null, currency: string): string {
  if (value === null) return 'unknown';
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  return `${symbol}${value.toFixed(Math.max(2, Math.min(10, String(value).split('.')[1]?.length ?? 0)))}`;
}
