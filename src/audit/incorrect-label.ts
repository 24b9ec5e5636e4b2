/**
 * The deliberately wrong label of the spurious-reward suite's `incorrect_label` variant, a pure
 * function of the gold answer (so every run and every resume sees the same label):
 *
 * - a plain number (optional sign, digits with optional `,` thousands separators, optional
 *   decimals): add one unit of its leading digit's place, 10^⌊log10 |g|⌋ (1 for 0), and write
 *   the result with the gold's number of decimals: 42 → 52, 7 → 8, 0 → 1, −3 → −2, 12.20 →
 *   22.20, 0.05 → 0.06. The change is more than 10% of |g|, far outside any numeric tolerance of
 *   the verifier (1e-4 relative), and never a rounding of the gold.
 * - a fraction p/q of integers: (p + q)/q, i.e. the gold plus 1 (1/2 → 3/2).
 * - anything else (LaTeX, expressions, sets): `(gold)+1`.
 */
const PLAIN_NUMBER = /^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;
const FRACTION = /^([+-]?\d+)\s*\/\s*(\d+)$/;

export function incorrectLabel(gold: string): string {
  const text = gold.trim();
  const number = PLAIN_NUMBER.exec(text);
  if (number) return shiftLeadingDigit(number[1] === '-', number[2].replaceAll(',', ''), number[3] ?? '');
  const fraction = FRACTION.exec(text);
  if (fraction && BigInt(fraction[2]) !== 0n) {
    const [p, q] = [BigInt(fraction[1]), BigInt(fraction[2])];
    return `${p + q}/${q}`;
  }
  return `(${text})+1`;
}

/** Exact decimal arithmetic on the digits (BigInt in units of the last decimal place). */
function shiftLeadingDigit(negative: boolean, intDigits: string, fracDigits: string): string {
  const digits = (intDigits + fracDigits).replace(/^0+(?=\d)/, '');
  const units = BigInt(digits) * (negative ? -1n : 1n);
  const scale = fracDigits.length;
  const leadingPlace = digits === '0' ? scale : digits.length - 1;
  const value = units + 10n ** BigInt(leadingPlace);
  return formatUnits(value, scale);
}

function formatUnits(units: bigint, scale: number): string {
  const sign = units < 0n ? '-' : '';
  const abs = (units < 0n ? -units : units).toString().padStart(scale + 1, '0');
  return scale === 0 ? sign + abs : `${sign}${abs.slice(0, -scale)}.${abs.slice(-scale)}`;
}
