import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aceModulate, groupAdvantages, hasSignal, normalizeBatch } from '../../src/rl/advantages.ts';

const close = (a: number[], b: number[], tol = 1e-9) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < tol, `${i}: ${x} vs ${b[i]}`));

test('GRPO: (r − mean) / (sample std + 1e-6)', () => {
  // rewards 1, 0, 0, 1: mean 0.5, sample std sqrt(1/3) = 0.57735
  const std = Math.sqrt(1 / 3);
  close(groupAdvantages([1, 0, 0, 1], 'grpo'), [0.5, -0.5, -0.5, 0.5].map((x) => x / (std + 1e-6)));
  // all equal → zero advantages (no signal), not NaN
  assert.deepEqual(groupAdvantages([1, 1, 1], 'grpo'), [0, 0, 0]);
  assert.throws(() => groupAdvantages([1], 'grpo'), /group of at least 2/);
});

test('Dr. GRPO: r − mean, no std division; RLOO: r − mean of the others', () => {
  close(groupAdvantages([3, 1, 2], 'dr_grpo'), [1, -1, 0]);
  close(groupAdvantages([3, 1, 2], 'rloo'), [3 - 1.5, 1 - 2.5, 2 - 2]);
});

test('batch normalization whitens with the population std', () => {
  close(normalizeBatch([1, 3]), [-1 / (1 + 1e-6), 1 / (1 + 1e-6)]);
});

test('ACE scales only negative advantages, by 1 + α·softplus(c)', () => {
  assert.equal(aceModulate(0.7, 5, { alpha: 1, fn: 'softplus' }), 0.7);
  close([aceModulate(-1, 0, { alpha: 2, fn: 'softplus' })], [-(1 + 2 * Math.log(2))]);
  close([aceModulate(-0.5, 3, { alpha: 0.5, fn: 'softplus' })], [-0.5 * (1 + 0.5 * Math.log1p(Math.exp(3)))]);
  close([aceModulate(-0.5, -3, { alpha: 0.5, fn: 'relu' })], [-0.5]);
});

test('dynamic sampling keeps groups whose rewards differ', () => {
  assert.equal(hasSignal([1, 1, 1]), false);
  assert.equal(hasSignal([0, 0]), false);
  assert.equal(hasSignal([0, 1, 0]), true);
});
