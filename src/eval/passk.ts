/**
 * Unbiased pass@k (Chen et al. 2021): the probability that at least one of k samples drawn
 * without replacement from n, of which c are correct, is correct: 1 − C(n−c, k)/C(n, k),
 * computed as 1 − Π_{i=n−c+1}^{n} (1 − k/i), which is 1 when n − c < k.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`pass@k needs integers 1 ≤ k ≤ n and 0 ≤ c ≤ n, got n=${n} c=${c} k=${k}`);
  }
  if (n - c < k) return 1;
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** pass@k for k = 1..n, as an array indexed by k − 1. */
export function passAtEveryK(n: number, c: number): number[] {
  return Array.from({ length: n }, (_, i) => passAtK(n, c, i + 1));
}
