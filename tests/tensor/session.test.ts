import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.ts';
import { RECLAIM_BYTES } from '../../src/tensor/reclaim.ts';

function trace(batch: number) {
  const g = new T.Graph();
  const x = g.input('x', 'float32', [batch, 3]);
  const w = g.input('w', 'float32', [3, 2]);
  const loss = T.reduceSum(T.tanh(T.matmul(x, w)));
  const [gw] = T.grad(loss, [w]);
  return { g, loss, gw };
}

test('new weight values reuse the compiled session; a new input shape compiles once more', async () => {
  const before = T.compileCount();
  const a = trace(4);
  const first = await T.compile(a.g, { loss: a.loss, gw: a.gw });
  const x = new Float32Array(12).fill(0.5);
  const r1 = await first.run({ x, w: new Float32Array(6).fill(0.1) });
  const r2 = await first.run({ x, w: new Float32Array(6).fill(-0.3) });
  assert.notDeepEqual([...r1.loss], [...r2.loss]);
  // tracing the same computation again (e.g. the next training step) hits the cache
  const again = trace(4);
  await T.compile(again.g, { loss: again.loss, gw: again.gw });
  assert.equal(T.compileCount() - before, 1);
  const other = trace(7);
  await T.compile(other.g, { loss: other.loss, gw: other.gw });
  assert.equal(T.compileCount() - before, 2);
});

test('shape and dtype errors at trace time name the op and both shapes', () => {
  const g = new T.Graph();
  const a = g.input('a', 'float32', [2, 3]);
  const b = g.input('b', 'float32', [4, 5]);
  const i = g.input('i', 'int64', [2, 3]);
  assert.throws(() => T.matmul(a, b), /MatMul: inner dimensions differ: \[2, 3\] @ \[4, 5\]/);
  assert.throws(() => T.add(a, b), /Add: shapes \[2, 3\] and \[4, 5\] cannot be broadcast/);
  assert.throws(() => T.mul(a, i), /Mul: dtype mismatch float32\[2, 3\] vs int64\[2, 3\]/);
  assert.throws(() => T.reshape(a, [4, 2]), /Reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/);
  assert.throws(() => T.transpose(a, [0, 0]), /Transpose: perm \[0, 0\]/);
  assert.throws(() => T.softmax(i), /Softmax: expected a float tensor, got int64\[2, 3\]/);
  assert.throws(() => T.reduceSum(a, [2]), /ReduceSum: axis 2 is out of range for shape \[2, 3\]/);
  assert.throws(() => T.gather(a, a), /Gather: indices must be int64 or int32, got float32\[2, 3\]/);
  assert.throws(() => T.concat([a, b], 0), /Concat: incompatible inputs float32\[2, 3\], float32\[4, 5\]/);
  assert.throws(() => T.grad(T.matmul(a, T.transpose(a, [1, 0])), [a]), /loss must have one element \(got \[2, 2\]\)/);
  assert.throws(() => T.grad(T.reduceSum(a), [i]), /cannot differentiate with respect to int64 tensor i/);
});

test('running with wrong feeds is a clear error, not an ONNX Runtime trace', async () => {
  const g = new T.Graph();
  const a = g.input('a', 'float32', [2, 3]);
  const c = await T.compile(g, { y: T.exp(a) });
  await assert.rejects(c.run({}), /missing input 'a' \(float32\[2, 3\]\)/);
  await assert.rejects(c.run({ a: new Float32Array(5) }), /input 'a' expects 6 values for shape \[2, 3\], got 5/);
  await assert.rejects(c.run({ a: new Float64Array(6) }), /input 'a' expects float32, got float64/);
  await assert.rejects(c.run({ a: new Float32Array(6), b: new Float32Array(1) }), /unknown input 'b'/);
});

test('a graph output that is also an input or repeated still comes back under each name', async () => {
  const g = new T.Graph();
  const a = g.input('a', 'float32', [2]);
  const e = T.exp(a);
  const r = await (await T.compile(g, { a, e, e2: e })).run({ a: Float32Array.of(0, 1) });
  assert.deepEqual([...r.a], [0, 1]);
  assert.deepEqual([...r.e2], [...r.e]);
  assert.ok(Math.abs((r.e[1] as number) - Math.E) < 1e-6);
});

test('outputs written into caller-owned arrays above the reclaim size are right, and their copies do not pile up over runs', async () => {
  const n = RECLAIM_BYTES / 4;
  const g = new T.Graph();
  const x = g.input('x', 'float32', [n]);
  const s = await T.compile(g, { y: T.mul(x, 3), first: T.slice(x, [0], [1]) });
  const input = new Float32Array(n).fill(2);
  const out = new Float32Array(n);
  const external = () => process.memoryUsage().external;
  const start = external();
  for (let run = 0; run < 4; run++) {
    input[run] = run;
    const r = await s.run({ x: input }, { y: out });
    assert.equal(r.y, undefined, 'a bound output is not returned again');
    assert.deepEqual([...(r.first as Float32Array)], [0]);
    assert.equal(out[run], 3 * run);
    assert.equal(out[n - 1], 6);
    await new Promise((resolve) => setImmediate(resolve));
  }
  // each run's copy of the bound output is collected right after it: at most one still awaiting its finalizer
  assert.ok(external() - start <= 1.5 * RECLAIM_BYTES, `external memory grew ${((external() - start) / 2 ** 20).toFixed(0)} MiB over 4 runs`);
});
