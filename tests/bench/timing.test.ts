import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchMedian, latencyPercentile } from '../../src/bench/timing.ts';

test('latencyPercentile: nearest rank ⌊q·n⌋ of the sorted values, clamped to the last, NaN when empty', () => {
  const ms = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(latencyPercentile(ms, 0.5), 51);
  assert.equal(latencyPercentile(ms, 0.99), 100);
  assert.equal(latencyPercentile(ms, 1), 100);
  assert.equal(latencyPercentile([3, 7], 0.5), 7);
  assert.ok(Number.isNaN(latencyPercentile([], 0.5)));
});

test('benchMedian: the nearest-rank median of unsorted values, the upper one of an even count, input untouched', () => {
  const xs = [5, 1, 4, 2, 3];
  assert.equal(benchMedian(xs), 3);
  assert.equal(benchMedian([4, 1, 3, 2]), 3);
  assert.deepEqual(xs, [5, 1, 4, 2, 3]);
});
