/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna) with its state filled by
 * splitmix32 from the seed. Deterministic across platforms: only 32-bit integer arithmetic.
 */
export class Prng {
  private readonly s = new Uint32Array(4);

  /** `seed` is any safe non-negative integer; its high and low 32-bit halves both count. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x9e3779b9);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = z ^ (z >>> 16);
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform integer in [lo, hi] (both included, hi − lo < 2^32), without modulo bias. */
  int(lo: number, hi: number): number {
    const span = hi - lo + 1;
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || span < 1 || span > 2 ** 32) {
      throw new RangeError(`bad integer range [${lo}, ${hi}]`);
    }
    const limit = 2 ** 32 - (2 ** 32 % span);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return lo + (x % span);
    }
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.nextUint32() / 2 ** 32;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
