import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.ts';

test('the embedding gradient is bit-identical run to run on two threads (one-hot product, not ScatterND-add)', async () => {
  const [vocab, d, n] = [512, 64, 2048];
  const g = new T.Graph();
  const w = g.input('w', 'float32', [vocab, d]);
  const ids = g.input('ids', 'int64', [n]);
  const r = g.input('r', 'float32', [n, d]);
  const [gw] = T.grad(T.reduceSum(T.mul(T.gather(w, ids, 0), r)), [w]);
  const run = await T.compile(g, { gw }, { threads: 2 });
  const feeds = {
    w: new Float32Array(vocab * d).fill(0.1),
    ids: BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7) % 37)),
    r: Float32Array.from({ length: n * d }, (_, i) => Math.sin(i) * 0.37),
  };
  const first = (await run.run(feeds)).gw as Float32Array;
  for (let k = 0; k < 15; k++) assert.deepEqual((await run.run(feeds)).gw, first, `run ${k} differs`);
  // and it is the right sum: row 0 collects every position whose id is 0
  let expected = 0;
  for (let i = 0; i < n; i++) if ((i * 7) % 37 === 0) expected += feeds.r[i * d];
  assert.ok(Math.abs(first[0] - expected) < 1e-4 * Math.max(1, Math.abs(expected)));
});

test('ScatterND-add (the large-vocabulary embedding gradient) sums repeated indices', async () => {
  const g = new T.Graph();
  const data = g.input('data', 'float32', [4, 2]);
  const idx = g.constant(BigInt64Array.of(1n, 3n, 1n), 'int64', [3, 1]);
  const upd = g.input('upd', 'float32', [3, 2]);
  const out = (await (await T.compile(g, { y: T.scatterNDAdd(data, idx, upd) })).run({ data: new Float32Array(8).fill(1), upd: Float32Array.of(1, 2, 3, 4, 5, 6) })).y;
  assert.deepEqual([...out], [1, 1, 1 + 1 + 5, 1 + 2 + 6, 1, 1, 1 + 3, 1 + 4]);
});
