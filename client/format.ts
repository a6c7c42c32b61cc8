/**
 * Amounts for people, without ethers (pages must not load it): base units
 * (18 decimals) to a short decimal string and back.
 */
const DECIMALS = 18;
const UNIT = 10n ** BigInt(DECIMALS);

/** `1234500000000000000000n` -> `"1,234.5"`; at most `fraction` decimals, rounded down. */
export function formatAmount(value: bigint, fraction = 4): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = (abs / UNIT).toLocaleString('en-US');
  const digits = (abs % UNIT).toString().padStart(DECIMALS, '0').slice(0, fraction).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${digits ? '.' + digits : ''}`;
}

/** `"12.5"` -> base units; null when the text is not a plain non-negative decimal with at most 18 decimals. */
export function parseAmount(text: string): bigint | null {
  const m = /^\s*(\d{1,30})(?:\.(\d{1,18}))?\s*$/.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * UNIT + BigInt((m[2] ?? '').padEnd(DECIMALS, '0'));
}

/** `0x1234…abcd` for an address shown in a narrow place (the full one goes in a title or a copy button). */
export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** `600` -> `"10 minutes"`, `86400` -> `"24 hours"`, `259200` -> `"3 days"` (rounded up, for people). */
export function formatDuration(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds < 60) return plural(Math.max(0, Math.ceil(seconds)), 'second');
  if (seconds < 2 * 3600) return plural(Math.ceil(seconds / 60), 'minute');
  if (seconds <= 48 * 3600) return plural(Math.ceil(seconds / 3600), 'hour');
  return plural(Math.ceil(seconds / 86400), 'day');
}
