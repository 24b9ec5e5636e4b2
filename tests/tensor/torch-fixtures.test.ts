/** Small networks traced on the engine against PyTorch values and gradients (scripts/torch_reference/engine_fixtures.py). */
import { test } from 'node:test';
import { readSafetensors } from '../../src/model/safetensors.ts';
import * as T from '../../src/tensor/index.ts';
import { assertClose } from '../helpers/compare.ts';

function fixture(name: string) {
  const { tensors } = readSafetensors(new URL(`../fixtures/engine/${name}.safetensors`, import.meta.url).pathname);
  const get = (key: string) => {
    const t = tensors.get(key);
    if (!t) throw new Error(`fixture ${name} lacks ${key}`);
    return t;
  };
  return { get, f32: (key: string) => get(key).data as Float32Array };
}

test('MLP (tanh, log-softmax, NLL) matches PyTorch values and gradients within 1e-4', async () => {
  const fx = fixture('mlp');
  const g = new T.Graph();
  const names = ['x', 'W1', 'b1', 'W2', 'b2'];
  const ins = Object.fromEntries(names.map((n) => [n, g.input(n, 'float32', fx.get(`in.${n}`).shape)]));
  const targets = g.input('targets', 'int64', [5]);
  const h = T.tanh(T.add(T.matmul(ins.x, ins.W1), ins.b1));
  const z = T.add(T.matmul(h, ins.W2), ins.b2);
  const picked = T.gatherElements(T.logSoftmax(z, -1), T.reshape(targets, [5, 1]), 1);
  const loss = T.neg(T.reduceMean(picked));
  const grads = T.grad(loss, names.map((n) => ins[n]));
  const run = await T.compile(g, { z, loss, ...Object.fromEntries(names.map((n, i) => [`g_${n}`, grads[i]])) });
  const r = await run.run({ ...Object.fromEntries(names.map((n) => [n, fx.f32(`in.${n}`)])), targets: fx.get('in.targets').data as BigInt64Array });
  assertClose(r.z as Float32Array, fx.f32('out.z'), 1e-4, 'z');
  assertClose(r.loss as Float32Array, fx.f32('out.loss'), 1e-4, 'loss');
  for (const n of names) assertClose(r[`g_${n}`] as Float32Array, fx.f32(`grad.${n}`), 1e-4, `grad ${n}`);
});

test('causal multi-head attention block matches PyTorch values and gradients within 1e-4', async () => {
  const fx = fixture('attention');
  const g = new T.Graph();
  const names = ['x', 'Wq', 'Wk', 'Wv', 'Wo'];
  const ins = Object.fromEntries(names.map((n) => [n, g.input(n, 'float32', fx.get(`in.${n}`).shape)]));
  const r = g.input('r', 'float32', [2, 6, 16]);
  const [b, t, heads, dh] = [2, 6, 2, 8];
  const split = (y: T.Tensor) => T.transpose(T.reshape(y, [b, t, heads, dh]), [0, 2, 1, 3]);
  const q = split(T.matmul(ins.x, ins.Wq));
  const k = split(T.matmul(ins.x, ins.Wk));
  const v = split(T.matmul(ins.x, ins.Wv));
  const mask = new Float32Array(t * t).map((_, i) => (i % t > Math.floor(i / t) ? -Infinity : 0));
  const scores = T.add(T.div(T.matmul(q, T.transpose(k, [0, 1, 3, 2])), Math.sqrt(dh)), g.constant(mask, 'float32', [t, t]));
  const a = T.matmul(T.softmax(scores, -1), v);
  const out = T.add(ins.x, T.matmul(T.reshape(T.transpose(a, [0, 2, 1, 3]), [b, t, heads * dh]), ins.Wo));
  const loss = T.reduceSum(T.mul(out, r));
  const grads = T.grad(loss, names.map((n) => ins[n]));
  const run = await T.compile(g, { out, loss, ...Object.fromEntries(names.map((n, i) => [`g_${n}`, grads[i]])) });
  const res = await run.run({ ...Object.fromEntries(names.map((n) => [n, fx.f32(`in.${n}`)])), r: fx.f32('in.r') });
  assertClose(res.out as Float32Array, fx.f32('out.out'), 1e-4, 'out');
  assertClose(res.loss as Float32Array, fx.f32('out.loss'), 1e-4, 'loss');
  for (const n of names) assertClose(res[`g_${n}`] as Float32Array, fx.f32(`grad.${n}`), 1e-4, `grad ${n}`);
});
