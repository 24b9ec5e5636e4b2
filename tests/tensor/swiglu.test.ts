/**
 * silu and swiglu in float32 (QuickGelu with recomputing gradient rules) against the primitive
 * Sigmoid + Mul form they replace: the same bits forward and backward (organisms trained before
 * rebuild bit for bit), and a backward that reads neither the forward's sigmoid, its silu nor (in
 * the projection after it) its product.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveNodes } from '../../src/tensor/onnx-export.ts';
import * as T from '../../src/tensor/index.ts';
import { seeded, uniform } from '../helpers/random.ts';

test('swiglu and the projection after it equal silu(gate)·up as Sigmoid + Mul, bit for bit, in value and every gradient', async () => {
  const shape = [4, 7, 33];
  const n = shape.reduce((a, b) => a * b, 1);
  const g = new T.Graph();
  const gate = g.input('gate', 'float32', shape);
  const up = g.input('up', 'float32', shape);
  const down = g.input('down', 'float32', [5, 33]);
  const fused = T.linear(T.swiglu(gate, up), down);
  const plain = T.linear(T.mul(T.mul(gate, T.sigmoid(gate)), up), down);
  const weights = g.constant(Float32Array.from(uniform(4 * 7 * 5, -1, 1, seeded(4))), 'float32', [4, 7, 5]);
  const [fg, fu, fd] = T.grad(T.reduceSum(T.mul(fused, weights)), [gate, up, down]);
  const [pg, pu, pd] = T.grad(T.reduceSum(T.mul(plain, weights)), [gate, up, down]);
  const s = await T.compile(g, { fused, plain, fg, fu, fd, pg, pu, pd });
  const rand = seeded(3);
  const r = await s.run({
    gate: Float32Array.from(uniform(n, -12, 12, rand)),
    up: Float32Array.from(uniform(n, -3, 3, rand)),
    down: Float32Array.from(uniform(5 * 33, -1, 1, rand)),
  });
  for (const [a, b] of [['fused', 'plain'], ['fg', 'pg'], ['fu', 'pu'], ['fd', 'pd']]) {
    assert.deepEqual(new Uint32Array((r[a] as Float32Array).buffer), new Uint32Array((r[b] as Float32Array).buffer), `${a} vs ${b}`);
  }
});

test('the backward of swiglu and of the projection after it recompute the sigmoid, silu and product instead of reading the forward', () => {
  const g = new T.Graph();
  const gate = g.input('gate', 'float32', [2, 5]);
  const up = g.input('up', 'float32', [2, 5]);
  const down = g.input('down', 'float32', [3, 5]);
  const product = T.swiglu(gate, up);
  const y = T.linear(product, down);
  const forward = new Set(g.nodes.map((node) => node.outputs[0].name));
  const grads = T.grad(T.reduceSum(y), [gate, up, down]);
  const backward = liveNodes(g, grads).filter((node) => !forward.has(node.outputs[0].name));
  const read = new Set(backward.flatMap((node) => node.inputs.map((t) => t?.name)));
  const silu = g.nodes.find((node) => node.opType === 'QuickGelu');
  assert.ok(silu, 'float32 silu is one QuickGelu node');
  assert.ok(!read.has(silu.outputs[0].name), 'the backward reads the forward silu');
  assert.ok(!read.has(product.name), 'the backward reads the forward product');
  assert.ok(backward.some((node) => node.opType === 'Sigmoid'), 'the backward computes its own sigmoid');
});

test('a reshaped product into a Gemm (a large down projection) is recomputed too, bit for bit', async () => {
  const g = new T.Graph();
  const gate = g.input('gate', 'float32', [2, 3, 8]);
  const up = g.input('up', 'float32', [2, 3, 8]);
  const down = g.input('down', 'float32', [5, 8]);
  const product = T.swiglu(gate, up);
  const fused = T.gemm(T.reshape(product, [6, 8]), down, { transB: true });
  const plain = T.gemm(T.reshape(T.mul(T.mul(gate, T.sigmoid(gate)), up), [6, 8]), down, { transB: true });
  const forward = new Set(g.nodes.map((node) => node.outputs[0].name));
  const fg = T.grad(T.reduceSum(T.mul(fused, fused)), [gate, up, down]);
  const backward = liveNodes(g, fg).filter((node) => !forward.has(node.outputs[0].name));
  const read = new Set(backward.flatMap((node) => node.inputs.map((t) => t?.name)));
  const reshaped = g.nodes.find((node) => node.opType === 'Reshape' && node.inputs[0] === product && forward.has(node.outputs[0].name));
  assert.ok(reshaped && !read.has(reshaped.outputs[0].name) && !read.has(product.name), 'the backward reads the forward product');
  const pg = T.grad(T.reduceSum(T.mul(plain, plain)), [gate, up, down]);
  const names = ['g', 'u', 'd'];
  const s = await T.compile(g, { ...Object.fromEntries(fg.map((t, i) => [`f${names[i]}`, t])), ...Object.fromEntries(pg.map((t, i) => [`p${names[i]}`, t])) });
  const rand = seeded(8);
  const r = await s.run({ gate: Float32Array.from(uniform(48, -6, 6, rand)), up: Float32Array.from(uniform(48, -2, 2, rand)), down: Float32Array.from(uniform(40, -1, 1, rand)) });
  for (const k of names) assert.deepEqual(new Uint32Array((r[`f${k}`] as Float32Array).buffer), new Uint32Array((r[`p${k}`] as Float32Array).buffer), k);
});

test('float64 keeps the primitive ops (no QuickGelu kernel in double)', () => {
  const g = new T.Graph();
  T.swiglu(g.input('gate', 'float64', [3]), g.input('up', 'float64', [3]));
  assert.deepEqual(g.nodes.map((node) => node.opType), ['Sigmoid', 'Mul', 'Mul']);
});
