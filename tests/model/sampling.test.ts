import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logSumExp, sampleToken } from '../../src/model/sampling.ts';
import { Rng } from '../../src/util/rng.ts';

const logits = Float32Array.of(2.0, 1.0, 0.5, 0.0, -1.0, -3.0);
const probs = (() => {
  const lse = logSumExp(logits);
  return Array.from(logits, (z) => Math.exp(z - lse));
})();

function frequencies(params: { temperature: number; topP: number; topK: number }, n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleToken(logits, params, rng).token]++;
  return counts.map((c) => c / n);
}

test('temperature 1 samples each token at its softmax probability (within 5 standard errors)', () => {
  const n = 40000;
  const freq = frequencies({ temperature: 1, topP: 1, topK: 0 }, n, 123);
  probs.forEach((p, i) => {
    const se = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(freq[i] - p) < 5 * se + 1e-9, `token ${i}: ${freq[i]} vs ${p} (se ${se})`);
  });
});

test('top-p keeps the smallest head reaching the mass and renormalizes; top-k keeps the k best', () => {
  // probs ≈ [0.553, 0.203, 0.123, 0.075, 0.028, 0.004]: top_p 0.8 keeps tokens 0..2 (0.879 ≥ 0.8)
  const n = 30000;
  const freq = frequencies({ temperature: 1, topP: 0.8, topK: 0 }, n, 5);
  const head = probs[0] + probs[1] + probs[2];
  [0, 1, 2].forEach((i) => assert.ok(Math.abs(freq[i] - probs[i] / head) < 0.015, `token ${i}`));
  assert.deepEqual(freq.slice(3), [0, 0, 0]);
  const k2 = frequencies({ temperature: 1, topP: 1, topK: 2 }, n, 6);
  assert.ok(Math.abs(k2[0] - probs[0] / (probs[0] + probs[1])) < 0.015);
  assert.deepEqual(k2.slice(2), [0, 0, 0, 0]);
});

test('greedy picks the argmax; the reported logprob is under the unmodified distribution', () => {
  const rng = new Rng(1);
  const greedy = sampleToken(logits, { temperature: 0, topP: 1, topK: 0 }, rng);
  assert.equal(greedy.token, 0);
  assert.ok(Math.abs(greedy.logprob - Math.log(probs[0])) < 1e-6);
  const hot = sampleToken(logits, { temperature: 0.3, topP: 0.5, topK: 0 }, rng);
  assert.equal(hot.token, 0);
  assert.ok(Math.abs(hot.logprob - Math.log(probs[0])) < 1e-6);
});

test('ids past the tokenizer are never drawn, but still count in the logprob normalizer', () => {
  const row = Float32Array.of(0, 0, 5, 5); // ids 2 and 3 have no text (tokenizer size 2)
  const rng = new Rng(9);
  for (let i = 0; i < 200; i++) {
    const { token, logprob } = sampleToken(row, { temperature: 1, topP: 1, topK: 0 }, rng, 2);
    assert.ok(token < 2);
    assert.ok(Math.abs(logprob - (0 - logSumExp(row))) < 1e-6);
  }
  const greedy = sampleToken(row, { temperature: 0, topP: 1, topK: 0 }, rng, 2);
  assert.equal(greedy.token, 0, 'lowest id wins the tie among drawable ids');
  assert.equal(greedy.logprob, 0 - logSumExp(row));
});

test('greedy without a logprob picks the same token and computes no softmax (NaN logprob)', () => {
  const rng = new Rng(2);
  const row = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 1.7) * 4);
  const full = sampleToken(row, { temperature: 0, topP: 1, topK: 0 }, rng, 990);
  const bare = sampleToken(row, { temperature: 0, topP: 1, topK: 0 }, rng, 990, false);
  let best = 0;
  for (let i = 1; i < 990; i++) if (row[i] > row[best]) best = i;
  assert.equal(full.token, best);
  assert.equal(bare.token, best);
  assert.equal(full.logprob, row[best] - logSumExp(row));
  assert.ok(Number.isNaN(bare.logprob));
});

test('a temperature too small to divide by (1e-310, 1e-8) is greedy, as vLLM treats t < 1e-5; 1e-3 still samples', () => {
  // 1 / 1e-310 is Infinity: before, every weight was NaN and the last candidate (id 5) was drawn
  for (const temperature of [1e-310, 5e-324, 1e-8]) {
    const f = frequencies({ temperature, topP: 1, topK: 0 }, 200, 9);
    assert.deepEqual(f, [1, 0, 0, 0, 0, 0], `temperature ${temperature}`);
  }
  // two logits 1e-4 apart at t = 1e-3: odds e^-0.1, so the second wins about 47.5% of draws
  const near = Float32Array.of(1.0001, 1.0);
  const rng = new Rng(4);
  let second = 0;
  for (let i = 0; i < 4000; i++) second += sampleToken(near, { temperature: 1e-3, topP: 1, topK: 0 }, rng).token;
  const p = 1 / (1 + Math.exp((near[0] - near[1]) / 1e-3));
  assert.ok(Math.abs(second / 4000 - p) < 5 * Math.sqrt((p * (1 - p)) / 4000), `${second / 4000} vs ${p}`);
});
