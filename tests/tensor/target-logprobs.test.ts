/**
 * Target log-probabilities and their gradient. Above LARGE_TENSOR_ELEMENTS positions × vocabulary
 * the LogSoftmax rule builds softmax − one-hot from the picked values alone instead of the dense
 * chain: checked against the gradient computed here in double precision, and the switch point
 * against the node types of the gradient graph.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveNodes } from '../../src/tensor/onnx-export.ts';
import * as T from '../../src/tensor/index.ts';
import { seeded, uniform } from '../helpers/random.ts';

test('above the limit, the gradient of weighted target log-probabilities is w·(one-hot − softmax), row by row', async () => {
  const [rows, vocab] = [2, 2 ** 23 + 3];
  assert.ok(rows * vocab > T.LARGE_TENSOR_ELEMENTS);
  const rand = seeded(5);
  const g = new T.Graph();
  const x = g.input('x', 'float32', [rows, vocab]);
  const targets = g.input('targets', 'int64', [rows]);
  const weights = [0.75, -1.5];
  const lp = T.targetLogprobs(x, targets);
  const [dx] = T.grad(T.reduceSum(T.mul(lp, g.constant(Float32Array.from(weights), 'float32', [rows]))), [x]);
  const ops = liveNodes(g, [dx]).map((n) => n.opType);
  assert.ok(!ops.includes('ReduceSum') && !ops.includes('Sub'), `dense LogSoftmax chain in the gradient: ${ops.join(' ')}`);
  const s = await T.compile(g, { lp, dx });
  const logits = Float32Array.from(uniform(rows * vocab, -6, 6, rand));
  const ids = BigInt64Array.of(7n, BigInt(vocab - 2));
  logits[vocab + vocab - 2] = 9; // one confident row: its own target dominates
  const r = await s.run({ x: logits, targets: ids });
  for (let i = 0; i < rows; i++) {
    const row = logits.subarray(i * vocab, (i + 1) * vocab);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    const t = Number(ids[i]);
    const expectLp = row[t] - max - Math.log(z);
    // float32 sums over 8M terms: relative, not absolute, agreement
    assert.ok(Math.abs((r.lp as Float32Array)[i] - expectLp) <= 1e-4 * Math.abs(expectLp), `row ${i} logprob ${(r.lp as Float32Array)[i]} vs ${expectLp}`);
    const grad = (r.dx as Float32Array).subarray(i * vocab, (i + 1) * vocab);
    let worst = 0;
    for (let j = 0; j < vocab; j += 997) {
      const expect = -weights[i] * (Math.exp(row[j] - max) / z);
      if (j !== t) worst = Math.max(worst, Math.abs(grad[j] - expect) / Math.abs(expect));
    }
    const atTarget = Math.abs(grad[t] - weights[i] * (1 - Math.exp(row[t] - max) / z));
    assert.ok(worst < 2e-3 && atTarget < 1e-5, `row ${i}: largest relative error off the target ${worst}, error at the target ${atTarget}`);
  }
});

test('the softmax − one-hot gradient replaces the dense chain only above LARGE_TENSOR_ELEMENTS positions × vocabulary', () => {
  const gradOps = (rows: number, vocab: number) => {
    const g = new T.Graph();
    const x = g.input('x', 'float32', [rows, vocab]);
    const [dx] = T.grad(T.reduceSum(T.targetLogprobs(x, g.input('t', 'int64', [rows]))), [x]);
    return liveNodes(g, [dx]).map((n) => n.opType);
  };
  const vocab = 151_936;
  const atLimit = Math.floor(T.LARGE_TENSOR_ELEMENTS / vocab);
  assert.ok(gradOps(atLimit, vocab).includes('ReduceSum'));
  assert.ok(!gradOps(atLimit + 1, vocab).includes('ReduceSum'));
  assert.ok(gradOps(atLimit + 1, vocab).includes('ScatterElements'));
});

test('a picked log-probability that is also read densely (an entropy term) keeps the dense rule, and both agree', async () => {
  const [rows, vocab] = [3, 11];
  const g = new T.Graph();
  const x = g.input('x', 'float32', [rows, vocab]);
  const t = g.input('t', 'int64', [rows]);
  const logp = T.logSoftmax(x, -1);
  const picked = T.reshape(T.gatherElements(logp, T.reshape(t, [rows, 1]), 1), [rows]);
  const entropy = T.neg(T.reduceSum(T.mul(T.exp(logp), logp)));
  const [dx] = T.grad(T.add(T.reduceSum(picked), T.mul(entropy, 0.1)), [x]);
  const s = await T.compile(g, { dx });
  const rand = seeded(9);
  const logits = Float32Array.from(uniform(rows * vocab, -2, 2, rand));
  const ids = BigInt64Array.of(0n, 5n, 10n);
  const r = (await s.run({ x: logits, t: ids })).dx as Float32Array;
  // finite differences of the same loss in double precision
  const loss = (v: Float64Array) => {
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const row = v.subarray(i * vocab, (i + 1) * vocab);
      const max = Math.max(...row);
      const z = row.reduce((a, b) => a + Math.exp(b - max), 0);
      const lp = (j: number) => row[j] - max - Math.log(z);
      total += lp(Number(ids[i]));
      for (let j = 0; j < vocab; j++) total -= 0.1 * Math.exp(lp(j)) * lp(j);
    }
    return total;
  };
  const base = Float64Array.from(logits);
  for (let k = 0; k < rows * vocab; k++) {
    const [up, down] = [Float64Array.from(base), Float64Array.from(base)];
    up[k] += 1e-6;
    down[k] -= 1e-6;
    const fd = (loss(up) - loss(down)) / 2e-6;
    assert.ok(Math.abs(r[k] - fd) < 1e-4, `dx[${k}] ${r[k]} vs finite difference ${fd}`);
  }
});

test('targetLogprobs rejects targets that do not match the logits', () => {
  const g = new T.Graph();
  assert.throws(() => T.targetLogprobs(g.input('x', 'float32', [2, 3, 5]), g.input('t', 'int64', [2, 4])), /targets \[2, ?4\] do not match logits/);
});
