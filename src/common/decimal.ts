// Money and quantities as exact decimal strings (scaled BigInts, never a binary float); scale 8 matches the
// NUMERIC(28,8) columns.
export const DECIMAL_SCALE = 8;
const FACTOR = 10n ** BigInt(DECIMAL_SCALE);
const PATTERN = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const MAX_INTEGER_DIGITS = 20;

export class DecimalFormatError extends Error {
  constructor(readonly input: string) {
    super('not a decimal number');
    this.name = 'DecimalFormatError';
  }
}

export function normalizeDecimal(text: string): string {
  const { negative, int, frac } = split(text);
  if (frac.length > DECIMAL_SCALE) throw new DecimalFormatError(text);
  return join(text, negative, int, frac);
}

// A brokerage's `401.10000000000002` (a float artefact in its JSON) becomes "401.1".
export function roundDecimal(text: string, places = DECIMAL_SCALE): string {
  const { negative, int, frac } = split(text);
  if (frac.length <= places) return join(text, negative, int, frac);
  const kept = BigInt(int + frac.slice(0, places)) + (frac[places] >= '5' ? 1n : 0n);
  const digits = kept.toString().padStart(places + 1, '0');
  const cut = digits.length - places;
  return join(text, negative, digits.slice(0, cut), digits.slice(cut).replace(/0+$/, ''));
}

function split(text: string): { negative: boolean; int: string; frac: string } {
  const m = PATTERN.exec(text.trim());
  if (!m) throw new DecimalFormatError(text);
  const [, sign, intDigits, fracDigits = '', exp] = m;
  let digits = intDigits + fracDigits;
  let point = intDigits.length + (exp ? Number(exp) : 0);
  if (!Number.isSafeInteger(point) || Math.abs(point) > 64) throw new DecimalFormatError(text);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  return {
    negative: sign === '-',
    int: digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0',
    frac: digits.slice(point).replace(/0+$/, ''),
  };
}

function join(text: string, negative: boolean, int: string, frac: string): string {
  if (int.length > MAX_INTEGER_DIGITS) throw new DecimalFormatError(text);
  const zero = /^0*$/.test(int + frac);
  return `${negative && !zero ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

export function toScaled(value: string): bigint {
  const n = normalizeDecimal(value);
  const negative = n.startsWith('-');
  const [int, frac = ''] = (negative ? n.slice(1) : n).split('.');
  const scaled = BigInt(int) * FACTOR + BigInt(frac.padEnd(DECIMAL_SCALE, '0'));
  return negative ? -scaled : scaled;
}

export function fromScaled(scaled: bigint): string {
  const negative = scaled < 0n;
  const abs = negative ? -scaled : scaled;
  const int = abs / FACTOR;
  const frac = (abs % FACTOR).toString().padStart(DECIMAL_SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

export function addDecimals(...values: string[]): string {
  return fromScaled(values.reduce((sum, v) => sum + toScaled(v), 0n));
}

export function multiplyDecimals(a: string, b: string, places = DECIMAL_SCALE): string {
  const product = toScaled(a) * toScaled(b); // scale 16
  const divisor = 10n ** BigInt(2 * DECIMAL_SCALE - places);
  const negative = product < 0n;
  const abs = negative ? -product : product;
  let q = abs / divisor;
  if ((abs % divisor) * 2n >= divisor) q += 1n;
  const scaled = q * 10n ** BigInt(DECIMAL_SCALE - places);
  return fromScaled(negative ? -scaled : scaled);
}

export function formatMoney(value: string): string {
  const n = normalizeDecimal(value);
  const [int, frac = ''] = n.split('.');
  return `${int}.${frac.padEnd(2, '0')}`;
}

export function formatQuantity(value: string): string {
  return normalizeDecimal(value);
}
