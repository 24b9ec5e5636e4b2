import assert from 'node:assert/strict';

/**
 * Max |a−b| / max(|b|, floor) over all elements. The floor defaults to 1% of the largest |b|, so an
 * element near zero is judged against the tensor's own scale (float32 rounding in a sum of terms
 * of size S is ~1e-7·S whatever the size of the result).
 */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor?: number): number {
  assert.equal(actual.length, expected.length, 'length mismatch');
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const denomFloor = floor ?? Math.max(1e-2 * scale, 1e-12);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), denomFloor);
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, floor?: number): void {
  const err = maxRelError(actual, expected, floor);
  assert.ok(err <= tol, `${what}: max relative error ${err.toExponential(3)} > ${tol}`);
}
