/** An exact rational number p/q with q > 0 and gcd(p, q) = 1. */
export class Rational {
  readonly num: bigint;
  readonly den: bigint;

  constructor(num: bigint, den: bigint = 1n) {
    if (den === 0n) throw new RangeError('division by zero');
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    const g = gcd(num < 0n ? -num : num, den);
    this.num = num / g;
    this.den = den / g;
  }

  add(o: Rational): Rational {
    return new Rational(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Rational): Rational {
    return new Rational(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Rational): Rational {
    return new Rational(this.num * o.num, this.den * o.den);
  }
  div(o: Rational): Rational {
    return new Rational(this.num * o.den, this.den * o.num);
  }
  isZero(): boolean {
    return this.num === 0n;
  }

  /** `p/q`, or `p` for integers. */
  toFraction(): string {
    return this.den === 1n ? `${this.num}` : `${this.num}/${this.den}`;
  }

  /**
   * Rounded to `places` decimals, half away from zero (2.345 → 2.35, −2.345 → −2.35), written
   * with exactly `places` decimals; a result that rounds to zero has no minus sign.
   */
  toFixedHalfAwayFromZero(places: number): string {
    const scale = 10n ** BigInt(places);
    const magnitude = (this.num < 0n ? -this.num : this.num) * scale;
    let units = magnitude / this.den;
    if (2n * (magnitude % this.den) >= this.den) units += 1n;
    const digits = units.toString().padStart(places + 1, '0');
    const body = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
    return this.num < 0n && units !== 0n ? `-${body}` : body;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}
