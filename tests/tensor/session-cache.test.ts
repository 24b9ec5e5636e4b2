import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import * as T from '../../src/tensor/index.ts';
import { exportOnnx } from '../../src/tensor/onnx-export.ts';

/** A real session for y = x·k on a [n] input. */
async function session(k: number, n = 3): Promise<ort.InferenceSession> {
  const g = new T.Graph();
  const x = g.input('x', 'float32', [n]);
  return ort.InferenceSession.create(exportOnnx(g, [T.mul(x, k)]));
}

test('least recently used idle sessions are released once the count or the byte budget is exceeded', async () => {
  const cache = new T.SessionCache(1000, 2);
  const released: string[] = [];
  const make = (name: string) => async () => {
    const s = await session(2);
    const release = s.release.bind(s);
    s.release = async () => {
      released.push(name);
      await release();
    };
    return s;
  };
  const noop = async () => undefined;
  await cache.use('a', 100, make('a'), noop);
  await cache.use('b', 100, make('b'), noop);
  await cache.use('a', 100, make('a2'), noop); // a is now more recent than b
  await cache.use('c', 100, make('c'), noop); // over the count: b goes
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(released, ['b']);
  assert.deepEqual([cache.has('a'), cache.has('b'), cache.has('c')], [true, false, true]);
  assert.equal(cache.created, 3);
  // over the byte budget (900 + 100 + 100 > 1000): the least recent (a) goes, c still fits
  await cache.use('d', 900, make('d'), noop);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(released, ['b', 'a']);
  assert.equal(cache.heldBytes, 1000);
  await cache.use('e', 950, make('e'), noop);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(released, ['b', 'a', 'c', 'd']);
  assert.equal(cache.evicted, 4);
});

test('a running session is never released; the newcomer may exceed the budget alone', async () => {
  const cache = new T.SessionCache(150, 10);
  let releaseRunning!: () => void;
  const gate = new Promise<void>((r) => (releaseRunning = r));
  const running = cache.use('big', 100, () => session(2), async (s) => {
    await gate;
    return (await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [3]) }))[s.outputNames[0]].data;
  });
  await cache.use('other', 100, () => session(3), async () => undefined);
  assert.ok(cache.has('big'), 'the running session stays');
  assert.ok(cache.has('other'), 'the newcomer stays even though the two exceed the budget');
  releaseRunning();
  assert.deepEqual([...((await running) as Float32Array)], [2, 4, 6]);
  await cache.clear();
  assert.equal(cache.size, 0);
});

test('a compiled graph whose session was evicted compiles again and gives the same results', async () => {
  const g = new T.Graph();
  const x = g.input('x', 'float32', [4]);
  const y = T.tanh(T.mul(x, 3));
  const compiled = await T.compile(g, { y });
  const feed = { x: Float32Array.of(0.1, -0.2, 0.3, 2) };
  const first = await compiled.run(feed);
  const before = T.compileCount();
  await T.sessionCache().clear();
  const again = await compiled.run(feed);
  assert.equal(T.compileCount(), before + 1);
  assert.deepEqual([...again.y], [...first.y]);
});

test('outputs bound to caller arrays are written in place (views into a larger buffer included)', async () => {
  const g = new T.Graph();
  const x = g.input('x', 'float32', [3]);
  const compiled = await T.compile(g, { double: T.mul(x, 2), square: T.mul(x, x) });
  const big = new Float32Array(7).fill(-1);
  const out = await compiled.run({ x: Float32Array.of(1, 2, 3) }, { double: big.subarray(2, 5) });
  assert.deepEqual([...big], [-1, -1, 2, 4, 6, -1, -1]);
  assert.equal(out.double, undefined);
  assert.deepEqual([...out.square], [1, 4, 9]);
  await assert.rejects(compiled.run({ x: Float32Array.of(1, 2, 3) }, { double: new Float32Array(2) }), /output 'double' is float32\[3\]; the array given for it has 2 float32 values/);
  await assert.rejects(compiled.run({ x: Float32Array.of(1, 2, 3) }, { nope: new Float32Array(3) }), /unknown output 'nope'/);
});
