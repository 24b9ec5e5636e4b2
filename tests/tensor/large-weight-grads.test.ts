/**
 * The gradient forms taken only above the size limits (a 0.5B model's tied 151,936-row
 * embedding): `linear` as one Gemm, the embedding lookup's gradient scattered onto the
 * unembedding's instead of onto zeros and added. Checked against the gradient written out by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.ts';
import { ONE_HOT_LIMIT } from '../../src/tensor/vjp.ts';
import { seeded, uniform } from '../helpers/random.ts';

test('a tied embedding above the limits: the lookup and unembedding gradients land in one tensor, equal to the hand-written sum', async () => {
  const width = 4;
  const vocab = T.LARGE_TENSOR_ELEMENTS / width + 7;
  const ids = [3, vocab - 1, 3, 0, 12345];
  assert.ok(ids.length * vocab > ONE_HOT_LIMIT, 'the lookup takes the scatter form');
  const rand = seeded(5);
  const g = new T.Graph();
  const w = g.input('w', 'float32', [vocab, width]);
  const h = g.input('h', 'float32', [2, width]);
  const r1 = g.input('r1', 'float32', [ids.length, width]);
  const r2 = g.input('r2', 'float32', [2, vocab]);
  const looked = T.gather(w, g.constant(BigInt64Array.from(ids, BigInt), 'int64', [ids.length]), 0);
  const logits = T.linear(h, w);
  const loss = T.add(T.reduceSum(T.mul(looked, r1)), T.reduceSum(T.mul(logits, r2)));
  const before = g.nodes.length;
  const [dw] = T.grad(loss, [w]);
  const backward = g.nodes.slice(before);
  assert.ok(g.nodes.some((n) => n.opType === 'Gemm'), 'linear takes the Gemm form above LARGE_TENSOR_ELEMENTS');
  assert.ok(!backward.some((n) => n.opType === 'Transpose'), 'no transposed copy of the weight gradient');
  assert.ok(!backward.some((n) => n.opType === 'Add' && n.outputs[0].size === vocab * width), 'no dense sum of two weight-sized gradients');
  const feeds = {
    w: Float32Array.from(uniform(vocab * width, -1, 1, rand)),
    h: Float32Array.from(uniform(2 * width, -1, 1, rand)),
    r1: Float32Array.from(uniform(ids.length * width, -1, 1, rand)),
    r2: Float32Array.from(uniform(2 * vocab, -1, 1, rand)),
  };
  const out = (await (await T.compile(g, { dw })).run(feeds)).dw as Float32Array;
  const expected = (v: number, j: number) => {
    let sum = feeds.r2[v] * feeds.h[j] + feeds.r2[vocab + v] * feeds.h[width + j];
    ids.forEach((id, i) => {
      if (id === v) sum += feeds.r1[i * width + j];
    });
    return sum;
  };
  for (const v of [0, 1, 3, 12345, vocab >> 1, vocab - 1]) {
    for (let j = 0; j < width; j++) assert.ok(Math.abs(out[v * width + j] - expected(v, j)) < 1e-5, `dW[${v}][${j}] = ${out[v * width + j]}, expected ${expected(v, j)}`);
  }
});
