/**
 * Every differentiable op's gradient rule against central finite differences, in float64 where
 * ONNX Runtime's CPU kernels support the op in double, else float32 with a looser tolerance
 * (float32 central differences with h = 1e-2 carry ~1e-4 truncation and ~1e-5 rounding error on
 * these O(1) functions, so 2e-2 relative error separates a wrong rule from noise).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.ts';
import { seeded, uniform } from '../helpers/random.ts';

type Kind = 'any' | 'positive' | 'awayFromZero' | 'distinct';
interface InputSpec {
  shape: number[];
  kind?: Kind;
}
interface Case {
  name: string;
  inputs: InputSpec[];
  build: (...xs: T.Tensor[]) => T.Tensor;
  /** Check in float32 only (a round trip through float64 loses nothing there; the reverse would). */
  float32Only?: boolean;
}

function values(spec: InputSpec, index: number, rand: () => number): number[] {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  switch (spec.kind ?? 'any') {
    case 'positive':
      return uniform(n, 0.5, 2, rand);
    case 'awayFromZero':
      return uniform(n, 0.2, 1.5, rand).map((v) => (rand() < 0.5 ? -v : v));
    case 'distinct':
      // a shuffled grid with gaps of 0.1, so max/min/clip never sit on a tie or a kink
      // offset per input, so two inputs never share a value either
      return Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1 + 0.05 + 0.031 * index).sort(() => rand() - 0.5);
    default:
      return uniform(n, -1, 1, rand);
  }
}

const int64 = (g: T.Graph, vals: number[], shape: number[]) =>
  g.constant(BigInt64Array.from(vals, (v) => BigInt(v)), 'int64', shape);

const cases: Case[] = [
  { name: 'Add broadcast', inputs: [{ shape: [3, 1] }, { shape: [1, 4] }], build: (a, b) => T.add(a, b) },
  { name: 'Sub broadcast rank', inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], build: (a, b) => T.sub(a, b) },
  { name: 'Mul broadcast', inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], build: (a, b) => T.mul(a, b) },
  { name: 'Div broadcast', inputs: [{ shape: [2, 3] }, { shape: [3], kind: 'positive' }], build: (a, b) => T.div(a, b) },
  { name: 'Pow', inputs: [{ shape: [2, 3], kind: 'positive' }, { shape: [2, 3] }], build: (a, b) => T.pow(a, b) },
  { name: 'Pow scalar exponent', inputs: [{ shape: [5], kind: 'positive' }], build: (a) => T.pow(a, 3) },
  { name: 'Max broadcast', inputs: [{ shape: [3, 4], kind: 'distinct' }, { shape: [4], kind: 'distinct' }], build: (a, b) => T.maximum(a, b) },
  { name: 'Min', inputs: [{ shape: [3, 4], kind: 'distinct' }, { shape: [3, 4], kind: 'distinct' }], build: (a, b) => T.minimum(a, b) },
  {
    name: 'Where broadcast',
    inputs: [{ shape: [2, 3] }, { shape: [3] }],
    build: (a, b) => T.where(T.greater(a, 0.1), a, b),
  },
  { name: 'Neg', inputs: [{ shape: [4] }], build: (a) => T.neg(a) },
  { name: 'Abs', inputs: [{ shape: [6], kind: 'awayFromZero' }], build: (a) => T.abs(a) },
  { name: 'Sqrt', inputs: [{ shape: [6], kind: 'positive' }], build: (a) => T.sqrt(a) },
  { name: 'Reciprocal', inputs: [{ shape: [6], kind: 'positive' }], build: (a) => T.reciprocal(a) },
  { name: 'Exp', inputs: [{ shape: [2, 3] }], build: (a) => T.exp(a) },
  { name: 'Log', inputs: [{ shape: [2, 3], kind: 'positive' }], build: (a) => T.log(a) },
  { name: 'Sigmoid', inputs: [{ shape: [7] }], build: (a) => T.sigmoid(a) },
  { name: 'Tanh', inputs: [{ shape: [7] }], build: (a) => T.tanh(a) },
  { name: 'Relu', inputs: [{ shape: [8], kind: 'awayFromZero' }], build: (a) => T.relu(a) },
  { name: 'Softplus', inputs: [{ shape: [7] }], build: (a) => T.softplus(a) },
  { name: 'Sin', inputs: [{ shape: [7] }], build: (a) => T.sin(a) },
  { name: 'Cos', inputs: [{ shape: [7] }], build: (a) => T.cos(a) },
  { name: 'SiLU (composite)', inputs: [{ shape: [7] }], build: (a) => T.silu(a) },
  { name: 'Clip', inputs: [{ shape: [12], kind: 'distinct' }], build: (a) => T.clip(a, -0.33, 0.27) },
  { name: 'MatMul 2d', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], build: (a, b) => T.matmul(a, b) },
  { name: 'MatMul batched x 2d', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: (a, b) => T.matmul(a, b) },
  { name: 'MatMul broadcast batch', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], build: (a, b) => T.matmul(a, b) },
  { name: 'linear (x @ wᵀ + b)', inputs: [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [5] }], build: (x, w, b) => T.linear(x, w, b) },
  { name: 'Gemm', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], build: (a, b) => T.gemm(a, b) },
  { name: 'Gemm transA', inputs: [{ shape: [4, 3] }, { shape: [4, 5] }], build: (a, b) => T.gemm(a, b, { transA: true }) },
  { name: 'Gemm transB (linear of a large weight)', inputs: [{ shape: [3, 4] }, { shape: [5, 4] }], build: (a, b) => T.gemm(a, b, { transB: true }) },
  { name: 'Gemm transA transB', inputs: [{ shape: [4, 3] }, { shape: [5, 4] }], build: (a, b) => T.gemm(a, b, { transA: true, transB: true }) },
  { name: 'ReduceSum axes', inputs: [{ shape: [2, 3, 4] }], build: (a) => T.reduceSum(a, [0, 2]) },
  { name: 'ReduceSum keepdims', inputs: [{ shape: [2, 3, 4] }], build: (a) => T.reduceSum(a, [1], true) },
  { name: 'ReduceMean', inputs: [{ shape: [3, 4] }], build: (a) => T.reduceMean(a, [-1]) },
  { name: 'ReduceMax', inputs: [{ shape: [3, 4], kind: 'distinct' }], build: (a) => T.reduceMax(a, [1]) },
  { name: 'Softmax', inputs: [{ shape: [2, 5] }], build: (a) => T.softmax(a, -1) },
  { name: 'Softmax axis 0', inputs: [{ shape: [3, 2] }], build: (a) => T.softmax(a, 0) },
  { name: 'LogSoftmax', inputs: [{ shape: [2, 5] }], build: (a) => T.logSoftmax(a, -1) },
  { name: 'Reshape', inputs: [{ shape: [2, 6] }], build: (a) => T.mul(T.reshape(a, [3, -1]), T.reshape(a, [3, 4])) },
  { name: 'Transpose', inputs: [{ shape: [2, 3, 4] }], build: (a) => T.transpose(a, [2, 0, 1]) },
  { name: 'Concat', inputs: [{ shape: [2, 3] }, { shape: [2, 2] }], build: (a, b) => T.concat([a, b, a], 1) },
  { name: 'Split', inputs: [{ shape: [2, 5] }], build: (a) => { const [p, q] = T.split(a, [2, 3], 1); return T.concat([T.exp(q), p], 1); } },
  { name: 'Split with unused part', inputs: [{ shape: [6] }], build: (a) => T.split(a, [1, 2, 3], 0)[1] },
  { name: 'Slice', inputs: [{ shape: [4, 5] }], build: (a) => T.slice(a, [1, -3], [3, 5], [0, 1]) },
  {
    name: 'Gather (embedding, repeated ids)',
    inputs: [{ shape: [5, 3] }],
    build: (w) => T.gather(w, int64(w.graph, [0, 2, 2, 4, 0, 2], [2, 3]), 0),
  },
  {
    name: 'GatherElements (target logprobs)',
    inputs: [{ shape: [2, 3, 4] }],
    build: (x) => T.gatherElements(T.logSoftmax(x, -1), int64(x.graph, [1, 3, 0, 2, 2, 1], [2, 3, 1]), 2),
  },
  { name: 'SiLU (QuickGelu, sigmoid recomputed)', inputs: [{ shape: [3, 4] }], build: (a) => T.silu(a), float32Only: true },
  { name: 'SwiGLU (silu recomputed)', inputs: [{ shape: [3, 4] }, { shape: [3, 4] }], build: (a, b) => T.swiglu(a, b), float32Only: true },
  { name: 'Expand', inputs: [{ shape: [3, 1] }], build: (a) => T.expand(a, [2, 3, 4]) },
  { name: 'Cast float32→float64→float32', inputs: [{ shape: [4] }], build: (a) => T.cast(T.cast(a, 'float64'), 'float32'), float32Only: true },
  { name: 'CumSum', inputs: [{ shape: [2, 4] }], build: (a) => T.cumsum(a, 1) },
  { name: 'CumSum reverse exclusive', inputs: [{ shape: [5] }], build: (a) => T.cumsum(a, 0, { reverse: true, exclusive: true }) },
  { name: 'Pad', inputs: [{ shape: [2, 3] }], build: (a) => T.pad(a, [1, 0], [0, 2]) },
  { name: 'Sin/Cos of RoPE angles', inputs: [{ shape: [2, 4] }], build: (a) => T.add(T.mul(a, T.cos(a)), T.sin(a)) },
];

function toArray(dtype: 'float32' | 'float64', vals: number[]): Float32Array | Float64Array {
  return dtype === 'float64' ? Float64Array.from(vals) : Float32Array.from(vals);
}

async function check(c: Case, dtype: 'float32' | 'float64'): Promise<{ maxRel: number }> {
  const rand = seeded(c.name.length * 7919 + 1);
  const g = new T.Graph();
  const ins = c.inputs.map((s, i) => g.input(`x${i}`, dtype, s.shape));
  const out = c.build(...ins);
  const r = g.constant(toArray(dtype, uniform(out.size, -1, 1, rand)), dtype, out.shape);
  const loss = T.reduceSum(T.mul(out, r));
  const grads = T.grad(loss, ins);
  const lossOnly = await T.compile(g, { loss });
  const withGrads = await T.compile(g, Object.fromEntries([['loss', loss], ...grads.map((t, i) => [`g${i}`, t])]));
  const data = c.inputs.map((s, i) => toArray(dtype, values(s, i, rand)));
  const feeds = () => Object.fromEntries(data.map((d, i) => [`x${i}`, d]));
  const analytic = await withGrads.run(feeds());
  const h = dtype === 'float64' ? 1e-6 : 1e-2;
  let maxRel = 0;
  for (let i = 0; i < data.length; i++) {
    const an = analytic[`g${i}`];
    for (let j = 0; j < data[i].length; j++) {
      const orig = data[i][j];
      data[i][j] = orig + h;
      const up = (await lossOnly.run(feeds())).loss[0] as number;
      data[i][j] = orig - h;
      const down = (await lossOnly.run(feeds())).loss[0] as number;
      data[i][j] = orig;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - (an[j] as number)) / Math.max(1, Math.abs(numeric));
      maxRel = Math.max(maxRel, err);
    }
  }
  return { maxRel };
}

for (const c of cases) {
  test(`VJP matches central differences: ${c.name}`, async (t) => {
    let result: { maxRel: number; dtype: string };
    try {
      if (c.float32Only) throw new Error('not supported: checked in float32');
      result = { ...(await check(c, 'float64')), dtype: 'float64' };
    } catch (err) {
      if (!/NOT_IMPLEMENTED|Could not find an implementation|not supported/i.test(String(err))) throw err;
      result = { ...(await check(c, 'float32')), dtype: 'float32' };
    }
    const tol = result.dtype === 'float64' ? 1e-6 : 2e-2;
    t.diagnostic(`${result.dtype}: max relative error ${result.maxRel.toExponential(2)}`);
    assert.ok(result.maxRel < tol, `${c.name} (${result.dtype}): max relative error ${result.maxRel} ≥ ${tol}`);
  });
}

test('grad reports an op without a gradient rule, naming it and its shapes', () => {
  const g = new T.Graph();
  const w = g.input('w', 'float32', [5, 3]);
  const idx = g.constant(BigInt64Array.of(1n, 2n), 'int64', [2]);
  const picked = T.gather(w, idx, 1);
  assert.throws(() => T.grad(T.reduceSum(picked), [w]), (err: Error) => {
    assert.ok(err instanceof T.NoGradientError);
    assert.match(err.message, /Gather/);
    assert.match(err.message, /float32\[5, 3\]/);
    return true;
  });
  const s = T.scatterNDAdd(w, g.constant(BigInt64Array.of(0n), 'int64', [1, 1]), g.input('u', 'float32', [1, 3]));
  assert.throws(() => T.grad(T.reduceSum(s), [w]), /no gradient rule for ScatterND/);
});

test('grad gives zeros for an input the loss does not depend on, and sums repeated uses', async () => {
  const g = new T.Graph();
  const a = g.input('a', 'float32', [3]);
  const unused = g.input('u', 'float32', [2]);
  const loss = T.reduceSum(T.add(T.mul(a, a), a));
  const [ga, gu] = T.grad(loss, [a, unused]);
  const r = await (await T.compile(g, { ga, gu })).run({ a: Float32Array.of(1, 2, 3), u: Float32Array.of(5, 6) });
  assert.deepEqual([...r.ga], [3, 5, 7]);
  assert.deepEqual([...r.gu], [0, 0]);
});

test('stopGradient passes values forward and no gradient back', async () => {
  const g = new T.Graph();
  const a = g.input('a', 'float64', [3]);
  const loss = T.reduceSum(T.mul(T.stopGradient(T.exp(a)), a));
  const [ga] = T.grad(loss, [a]);
  const x = Float64Array.of(-1, 0.5, 2);
  const r = await (await T.compile(g, { loss, ga })).run({ a: x });
  // d/da [c·a] with c = exp(a) held constant is exp(a); the full derivative would be exp(a)(1 + a)
  x.forEach((v, i) => assert.ok(Math.abs((r.ga[i] as number) - Math.exp(v)) < 1e-12));
  assert.ok(Math.abs((r.loss[0] as number) - x.reduce((s, v) => s + Math.exp(v) * v, 0)) < 1e-12);
});
