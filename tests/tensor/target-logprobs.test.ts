/**
 * The fused target log-probability (one SoftmaxCrossEntropyLoss node) against the LogSoftmax +
 * GatherElements graph it replaces above LARGE_TENSOR_ELEMENTS: same values and
 * gradients, and the switch between them sits where the constant says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.ts';
import { seeded, uniform } from '../helpers/random.ts';

test('fused and unfused target log-probabilities agree in value and gradient (wide logits, repeated targets)', async () => {
  const [b, t, v] = [3, 5, 97];
  const rand = seeded(17);
  const g = new T.Graph();
  const x = g.input('x', 'float32', [b, t, v]);
  const targets = g.input('targets', 'int64', [b, t]);
  const weights = g.constant(Float32Array.from(uniform(b * t, -1, 1, rand)), 'float32', [b, t]);
  const fused = T.targetLogprobs(x, targets, { fused: true });
  const plain = T.targetLogprobs(x, targets, { fused: false });
  const [gFused] = T.grad(T.reduceSum(T.mul(fused, weights)), [x]);
  const [gPlain] = T.grad(T.reduceSum(T.mul(plain, weights)), [x]);
  const s = await T.compile(g, { fused, plain, gFused, gPlain });
  const logits = Float32Array.from(uniform(b * t * v, -8, 8, rand));
  const ids = BigInt64Array.from({ length: b * t }, (_, i) => BigInt(i % 3 === 0 ? 7 : Math.floor(rand() * v)));
  const r = await s.run({ x: logits, targets: ids });
  const close = (a: Float32Array, c: Float32Array, tol: number, what: string) => {
    assert.equal(a.length, c.length);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - c[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${c[i]}`);
  };
  close(r.fused as Float32Array, r.plain as Float32Array, 1e-5, 'logprob');
  close(r.gFused as Float32Array, r.gPlain as Float32Array, 1e-6, 'gradient');
  // every value is a log-probability: ≤ 0, and the gradient rows sum to zero (softmax − one-hot)
  for (const lp of r.fused as Float32Array) assert.ok(lp <= 0);
  const gf = r.gFused as Float32Array;
  for (let row = 0; row < b * t; row++) {
    let sum = 0;
    for (let j = 0; j < v; j++) sum += gf[row * v + j];
    assert.ok(Math.abs(sum) < 1e-5, `gradient row ${row} sums to ${sum}`);
  }
});

test('the default takes the fused node only above LARGE_TENSOR_ELEMENTS positions × vocabulary', () => {
  const opsFor = (rows: number, vocab: number) => {
    const g = new T.Graph();
    T.targetLogprobs(g.input('x', 'float32', [rows, vocab]), g.input('t', 'int64', [rows]));
    return g.nodes.map((n) => n.opType);
  };
  const vocab = 151_936;
  const atLimit = Math.floor(T.LARGE_TENSOR_ELEMENTS / vocab);
  assert.ok(opsFor(atLimit, vocab).includes('LogSoftmax'));
  assert.ok(!opsFor(atLimit, vocab).includes('SoftmaxCrossEntropyLoss'));
  assert.ok(opsFor(atLimit + 1, vocab).includes('SoftmaxCrossEntropyLoss'));
  assert.ok(!opsFor(atLimit + 1, vocab).includes('LogSoftmax'));
});

test('targetLogprobs rejects targets that do not match the logits', () => {
  const g = new T.Graph();
  assert.throws(() => T.targetLogprobs(g.input('x', 'float32', [2, 3, 5]), g.input('t', 'int64', [2, 4])), /targets \[2, ?4\] do not match logits/);
});
