import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passAtEveryK, passAtK } from '../../src/eval/passk.ts';

function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** 1 − C(n−c, k)/C(n, k) from exact binomials, as a float. */
function exactPassAtK(n: number, c: number, k: number): number {
  const num = binomial(n - c, k);
  const den = binomial(n, k);
  // Scale before dividing to keep 1e-15 precision in the BigInt quotient.
  const scale = 10n ** 18n;
  return 1 - Number((num * scale) / den) / 1e18;
}

test('pass@k equals exact combinatorics for every n ≤ 24, c ≤ n, k ≤ n', () => {
  let cases = 0;
  for (let n = 1; n <= 24; n++) {
    for (let c = 0; c <= n; c++) {
      const all = passAtEveryK(n, c);
      for (let k = 1; k <= n; k++) {
        const expected = exactPassAtK(n, c, k);
        assert.ok(Math.abs(passAtK(n, c, k) - expected) < 1e-12, `n=${n} c=${c} k=${k}: ${passAtK(n, c, k)} vs ${expected}`);
        assert.equal(all[k - 1], passAtK(n, c, k));
        cases++;
      }
    }
  }
  assert.equal(cases, 5200); // Σ_{n=1}^{24} n(n+1)
});

test('pass@k hand-checked values and edges', () => {
  assert.equal(passAtK(4, 1, 1), 0.25);
  assert.ok(Math.abs(passAtK(4, 1, 2) - 0.5) < 1e-15); // 1 − C(3,2)/C(4,2) = 1 − 3/6
  assert.ok(Math.abs(passAtK(5, 2, 2) - 0.7) < 1e-15); // 1 − C(3,2)/C(5,2) = 1 − 3/10
  assert.equal(passAtK(10, 0, 5), 0);
  assert.equal(passAtK(10, 6, 5), 1); // n − c < k
  assert.equal(passAtK(1, 1, 1), 1);
  // pass@1 is the plain fraction correct.
  assert.ok(Math.abs(passAtK(64, 17, 1) - 17 / 64) < 1e-15);
  // Large n stays finite and accurate where binomials overflow doubles.
  assert.ok(Math.abs(passAtK(2000, 3, 1000) - exactPassAtK(2000, 3, 1000)) < 1e-12);
  assert.throws(() => passAtK(4, 5, 1), RangeError);
  assert.throws(() => passAtK(4, 1, 5), RangeError);
});
