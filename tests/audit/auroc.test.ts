import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auroc } from '../../src/audit/auroc.ts';
import { Rng } from '../../src/util/rng.ts';

/** The definition, pair by pair: P(pos > neg) + ½ P(pos = neg). */
function pairCount(scores: number[], labels: boolean[]): number {
  let sum = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (!labels[i]) return;
    scores.forEach((n, j) => {
      if (labels[j]) return;
      pairs++;
      sum += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return sum / pairs;
}

test('AUROC by hand, without and with ties', () => {
  // positives 0.35, 0.8 vs negatives 0.1, 0.4: 3 of 4 pairs ordered
  assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  // positives {1, 0} vs negatives {1, 0, 1}: 1 vs (1, 0, 1) = 0.5 + 1 + 0.5; 0 vs (1, 0, 1) = 0 + 0.5 + 0 → 2.5 / 6
  assert.equal(auroc([1, 1, 0, 0, 1], [true, false, true, false, false]), 2.5 / 6);
  assert.equal(auroc([3, 3, 3, 3], [true, false, true, false]), 0.5);
  assert.equal(auroc([2, 3, 0, 1], [true, true, false, false]), 1);
  assert.equal(auroc([0, 1, 2, 3], [true, true, false, false]), 0);
});

test('AUROC is undefined with one class, and rejects mismatched input', () => {
  assert.equal(auroc([1, 2], [true, true]), null);
  assert.equal(auroc([1, 2], [false, false]), null);
  assert.throws(() => auroc([1], [true, false]), /1 scores but 2 labels/);
  assert.throws(() => auroc([NaN, 1], [true, false]), /NaN/);
});

test('AUROC equals the pair-counting definition on random data with many ties', () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 50; trial++) {
    const n = 2 + rng.int(40);
    const scores = Array.from({ length: n }, () => rng.int(5) / 4);
    const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i === 0 : rng.uniform() < 0.4));
    const got = auroc(scores, labels)!;
    assert.ok(Math.abs(got - pairCount(scores, labels)) < 1e-12, `trial ${trial}: ${got}`);
  }
});
