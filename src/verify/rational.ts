/** Exact rationals over BigInt, always reduced, denominator positive. */
export interface Rational {
  n: bigint;
  d: bigint;
}

/** Limit on numerator/denominator size so exact arithmetic cannot blow up memory or time. */
export const MAX_RATIONAL_BITS = 16384;

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function bitLength(x: bigint): number {
  return (x < 0n ? -x : x).toString(16).length * 4;
}

/** Reduces n/d; returns null when d is 0 or the result exceeds MAX_RATIONAL_BITS. */
export function rat(n: bigint, d: bigint = 1n): Rational | null {
  if (d === 0n) return null;
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  if (g > 1n) [n, d] = [n / g, d / g];
  if (bitLength(n) > MAX_RATIONAL_BITS || bitLength(d) > MAX_RATIONAL_BITS) return null;
  return { n, d };
}

export const ZERO: Rational = { n: 0n, d: 1n };
export const ONE: Rational = { n: 1n, d: 1n };

export const add = (a: Rational, b: Rational) => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational) => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational) => rat(a.n * b.n, a.d * b.d);
export const div = (a: Rational, b: Rational) => rat(a.n * b.d, a.d * b.n);
export const neg = (a: Rational): Rational => ({ n: -a.n, d: a.d });
export const eq = (a: Rational, b: Rational) => a.n === b.n && a.d === b.d;
export const isZero = (a: Rational) => a.n === 0n;
export const isInteger = (a: Rational) => a.d === 1n;

/** a^k for integer k, refusing results that would exceed the size limit before computing them. */
export function powInt(a: Rational, k: bigint): Rational | null {
  if (k === 0n) return ONE;
  if (k < 0n) {
    if (a.n === 0n) return null;
    const inv = rat(a.d, a.n);
    return inv && powInt(inv, -k);
  }
  const bits = Math.max(bitLength(a.n), bitLength(a.d));
  if (bits > 1 && Number(k) * (bits - 1) > MAX_RATIONAL_BITS) return null;
  return rat(a.n ** k, a.d ** k);
}

/** Parses a decimal literal such as "-12.50", ".35", "4.5e33" exactly. */
export function parseDecimal(text: string): Rational | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const frac = m[3] ?? '';
  const exp = BigInt(m[4] ?? '0') - BigInt(frac.length);
  const digits = BigInt((m[2] || '0') + frac) * (m[1] === '-' ? -1n : 1n);
  return exp >= 0n ? (powInt({ n: 10n, d: 1n }, exp) ? rat(digits * 10n ** exp) : null) : rat(digits, 10n ** -exp);
}

export function toNumber(a: Rational): number {
  const n = Number(a.n) / Number(a.d);
  if (Number.isFinite(n) && n !== 0) return n;
  if (a.n === 0n) return 0;
  // Both parts overflow doubles: scale down by the common magnitude first.
  const shift = BigInt(Math.max(bitLength(a.n), bitLength(a.d)) - 60);
  const scaledN = Number(a.n >> (shift > 0n ? shift : 0n));
  const scaledD = Number(a.d >> (shift > 0n ? shift : 0n));
  return scaledD === 0 ? Math.sign(scaledN) * Infinity : scaledN / scaledD;
}

/** Integer square root when a is a perfect square rational, else null. */
export function exactSqrt(a: Rational): Rational | null {
  if (a.n < 0n) return null;
  const rn = isqrt(a.n);
  const rd = isqrt(a.d);
  return rn * rn === a.n && rd * rd === a.d ? { n: rn, d: rd } : null;
}

function isqrt(x: bigint): bigint {
  if (x < 2n) return x;
  let r = 1n << BigInt(Math.ceil(bitLength(x) / 2));
  for (;;) {
    const next = (r + x / r) >> 1n;
    if (next >= r) return r;
    r = next;
  }
}

/** a rounded to `places` decimal places (half away from zero), as an integer count of 10^-places. */
export function roundToPlaces(a: Rational, places: number): bigint {
  const scaled = a.n * 10n ** BigInt(places);
  const twice = 2n * (scaled < 0n ? -scaled : scaled) + a.d;
  const r = twice / (2n * a.d);
  return scaled < 0n ? -r : r;
}

/** True when a has a finite decimal expansion (its reduced denominator is 2^i 5^j). */
export function finiteDecimal(a: Rational): boolean {
  let d = a.d;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  return d === 1n;
}

export function ratToString(a: Rational): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}
