import assert from 'node:assert/strict';

/** Max |a−b| / max(|b|, floor) over all elements: relative error that does not explode near zero. */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-3): number {
  assert.equal(actual.length, expected.length, 'length mismatch');
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const err = Math.abs(actual[i] - e) / Math.max(Math.abs(e), floor);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, floor?: number): void {
  const err = maxRelError(actual, expected, floor);
  assert.ok(err <= tol, `${what}: max relative error ${err.toExponential(3)} > ${tol}`);
}
