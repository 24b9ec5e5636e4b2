import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AdamW, F32_UPDATE_MIN, GradAccumulator, learningRate, ParamStore } from '../../src/tensor/index.ts';
import { assertClose } from '../helpers/compare.ts';

interface Fixture {
  init: { w: number[]; b: number[] };
  config: { beta1: number; beta2: number; eps: number; weightDecay: number; maxGradNorm: number };
  steps: Array<{ gw: number[]; gb: number[]; lr: number; grad_norm: number; w: number[]; b: number[] }>;
}

for (const precision of ['f64', 'f32'] as const) {
  test(`AdamW (${precision} update) with clipping and no decay on biases follows torch.optim.AdamW step by step`, () => {
    const fx = JSON.parse(readFileSync(new URL('../fixtures/engine/adamw.json', import.meta.url), 'utf8')) as Fixture;
    const store = ParamStore.from(
      new Map([
        ['layer.weight', { shape: [3, 4], data: Float32Array.from(fx.init.w) }],
        ['layer.bias', { shape: [4], data: Float32Array.from(fx.init.b) }],
      ]),
    );
    const opt = new AdamW(store, fx.config, { precision });
    assert.equal(opt.precision, precision);
    for (const [i, s] of fx.steps.entries()) {
      const grad = store.like();
      grad.set(s.gw, store.offset('layer.weight'));
      grad.set(s.gb, store.offset('layer.bias'));
      const { gradNorm } = opt.step(grad, s.lr);
      assert.ok(Math.abs(gradNorm - s.grad_norm) < 1e-5 * s.grad_norm, `step ${i} grad norm ${gradNorm} vs ${s.grad_norm}`);
      assertClose(store.view('layer.weight'), s.w, 1e-5, `step ${i} weight`);
      assertClose(store.view('layer.bias'), s.b, 1e-5, `step ${i} bias`);
    }
  });
}

test('frozen parameters do not move; a non-finite gradient skips the update', () => {
  const store = new ParamStore([
    { name: 'a.weight', shape: [2] },
    { name: 'b.weight', shape: [2] },
  ]);
  store.data.set([1, 2, 3, 4]);
  const opt = new AdamW(store, { weightDecay: 0.5 }, { frozen: (n) => n.startsWith('a.') });
  opt.step(Float32Array.of(1, 1, 1, 1), 0.1);
  assert.deepEqual([...store.view('a.weight')], [1, 2]);
  assert.notDeepEqual([...store.view('b.weight')], [3, 4]);
  const snapshot = store.data.slice();
  const { gradNorm } = opt.step(Float32Array.of(0, 0, NaN, 1), 0.1);
  assert.ok(Number.isNaN(gradNorm));
  assert.deepEqual([...store.data], [...snapshot]);
  assert.equal(opt.stepCount, 1);
});

test('gradient accumulation averages micro-batches in place; the next step starts afresh', () => {
  const store = new ParamStore([
    { name: 'w', shape: [3] },
    { name: 'b', shape: [1] },
  ]);
  const acc = new GradAccumulator(store);
  acc.add({ w: Float32Array.of(1, 2, 3), b: Float32Array.of(5) });
  acc.add({ w: Float32Array.of(3, 2, 1) });
  const mean = acc.mean();
  assert.equal(mean, acc.grad, 'no copy');
  assert.deepEqual([...mean], [2, 2, 2, 2.5]);
  // the first micro-batch of the next step overwrites; a parameter it lacks counts as zero
  acc.add({ w: Float32Array.of(1, 1, 1) }, 0.5);
  acc.add({ w: Float32Array.of(2, 0, 4), b: Float32Array.of(1) }, 2);
  assert.deepEqual([...acc.sum()], [4.5, 0.5, 8.5, 2]);
  // written in place through target(): the views are the accumulator's own memory
  const into = acc.target(['w']);
  into.w.set([7, 8, 9]);
  acc.commit(['w']);
  assert.deepEqual([...acc.sum()], [7, 8, 9, 0]);
});

test('helper threads give bit-identical updates to the calling thread alone (clipping, decay, frozen, several chunks)', async () => {
  const specs = [
    { name: 'a.weight', shape: [300, 1000] }, // several ring chunks
    { name: 'a.bias', shape: [1000] },
    { name: 'frozen.weight', shape: [50] },
    { name: 'b.weight', shape: [70_001] },
  ];
  const make = () => {
    const store = new ParamStore(specs);
    for (let i = 0; i < store.data.length; i++) store.data[i] = Math.sin(i * 0.37);
    return store;
  };
  const alone = make();
  const threaded = make();
  const frozen = (n: string) => n.startsWith('frozen.');
  const o1 = new AdamW(alone, { maxGradNorm: 5 }, { frozen, helpers: 0 });
  const o2 = new AdamW(threaded, { maxGradNorm: 5 }, { frozen, helpers: 2, parallelMin: 0 });
  assert.equal(o2.helperCount, 2);
  // the helpers really start (a worker that cannot load its TypeScript fails here, not silently)
  await o2.helpersReady();
  const grad = alone.like();
  for (let step = 0; step < 3; step++) {
    for (let i = 0; i < grad.length; i++) grad[i] = Math.cos(i * 0.11 + step) * 0.01;
    const n1 = o1.step(grad, 1e-2).gradNorm;
    const n2 = o2.step(grad, 1e-2).gradNorm;
    assert.equal(n1, n2);
    // closing stops the helpers; the optimizer goes on, on the calling thread
    if (step === 1) {
      o2.close();
      assert.equal(o2.helperCount, 0);
    }
  }
  assert.ok(alone.data.every((x, i) => Object.is(x, threaded.data[i])), 'parameters differ');
  assert.ok(o1.getState().m.every((x, i) => Object.is(x, o2.getState().m[i])), 'first moments differ');
  assert.deepEqual([...alone.view('frozen.weight')], [...make().view('frozen.weight')]);
});

test('learning-rate schedules: warmup, cosine to a floor, linear decay', () => {
  const cos = { kind: 'cosine', lr: 1, warmupSteps: 4, totalSteps: 14, minLrRatio: 0.1 } as const;
  assert.deepEqual([0, 1, 2, 3].map((s) => learningRate(cos, s)), [0.25, 0.5, 0.75, 1]);
  assert.equal(learningRate(cos, 4), 1);
  assert.ok(Math.abs(learningRate(cos, 9) - (0.1 + 0.9 * 0.5)) < 1e-12); // halfway: cos(π/2) = 0
  assert.ok(Math.abs(learningRate(cos, 14) - 0.1) < 1e-12);
  assert.ok(Math.abs(learningRate(cos, 100) - 0.1) < 1e-12);
  const lin = { kind: 'linear', lr: 2, warmupSteps: 0, totalSteps: 10 } as const;
  assert.equal(learningRate(lin, 5), 1);
  assert.equal(learningRate({ kind: 'constant', lr: 3 }, 50), 3);
});

test('the streamed WebAssembly update equals one fused double-precision loop bit for bit (checkpoints and organism builds stay reproducible)', () => {
  const n = 100_003; // several ring chunks, an odd ragged end (the kernel's scalar tail)
  const store = new ParamStore([{ name: 'w.weight', shape: [n] }]);
  for (let i = 0; i < n; i++) store.data[i] = Math.sin(i);
  const p = store.data.slice();
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const opt = new AdamW(store, { weightDecay: 0.1, maxGradNorm: 1 }, { helpers: 0 });
  const g = new Float32Array(n);
  const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, 3e-3];
  for (let t = 1; t <= 3; t++) {
    for (let i = 0; i < n; i++) g[i] = Math.cos(i * 0.3 + t) * 0.05;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += g[i] * g[i];
    // the optimizer sums squares in four interleaved partial sums: the same value up to rounding
    const norm = opt.step(g, lr).gradNorm;
    assert.ok(Math.abs(norm - Math.sqrt(sq)) <= 1e-13 * norm, `grad norm ${norm} vs sequential ${Math.sqrt(sq)}`);
    assert.ok(norm > 1, 'the test exercises clipping');
    const scale = norm > 1 ? 1 / (norm + 1e-6) : 1;
    const stepSize = lr / (1 - b1 ** t);
    const bc2 = Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < n; i++) {
      const gi = g[i] * scale;
      const mi = b1 * m[i] + (1 - b1) * gi;
      const vi = b2 * v[i] + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * (1 - lr * 0.1) - (stepSize * mi) / (Math.sqrt(vi) / bc2 + eps);
    }
  }
  assert.ok(store.data.every((x, i) => Object.is(x, p[i])), 'parameters differ from the fused loop');
  assert.ok(opt.getState().v.every((x, i) => Object.is(x, v[i])), 'second moments differ');
});

test('the single-precision update rounds every operation to float32 (a Math.fround emulation, bit for bit), with or without helpers; the default picks it by size', async () => {
  const n = 70_007; // several ring chunks, a ragged end of 3 (the kernel's scalar tail)
  const make = () => {
    const store = new ParamStore([{ name: 'w.weight', shape: [n] }]);
    for (let i = 0; i < n; i++) store.data[i] = Math.sin(i);
    return store;
  };
  const alone = make();
  const threaded = make();
  const config = { weightDecay: 0.1, maxGradNorm: 1 };
  const o1 = new AdamW(alone, config, { helpers: 0, precision: 'f32' });
  const o2 = new AdamW(threaded, config, { helpers: 2, parallelMin: 0, precision: 'f32' });
  await o2.helpersReady();
  const f = Math.fround;
  const p = make().data;
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const g = new Float32Array(n);
  const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, 3e-3];
  for (let t = 1; t <= 3; t++) {
    for (let i = 0; i < n; i++) g[i] = Math.cos(i * 0.3 + t) * 0.05;
    const norm = o1.step(g, lr).gradNorm;
    assert.equal(o2.step(g, lr).gradNorm, norm);
    assert.ok(norm > 1, 'the test exercises clipping');
    const scale = f(1 / (norm + 1e-6));
    const [sb1, sb1c, sb2, sb2c] = [f(b1), f(1 - b1), f(b2), f(1 - b2)];
    const stepSize = f(lr / (1 - b1 ** t));
    const bc2 = f(Math.sqrt(1 - b2 ** t));
    const decay = f(1 - lr * 0.1);
    for (let i = 0; i < n; i++) {
      // an f32 operation is the double result rounded once (exact for + − × ÷ √ of float32 operands)
      const gi = f(g[i] * scale);
      m[i] = f(f(sb1 * m[i]) + f(sb1c * gi));
      v[i] = f(f(sb2 * v[i]) + f(f(sb2c * gi) * gi));
      p[i] = f(f(p[i] * decay) - f(f(stepSize * m[i]) / f(f(f(Math.sqrt(v[i])) / bc2) + f(eps))));
    }
  }
  o2.close();
  assert.ok(alone.data.every((x, i) => Object.is(x, p[i])), 'parameters differ from the float32 emulation');
  assert.ok(threaded.data.every((x, i) => Object.is(x, p[i])), 'helpers change the float32 update');
  assert.ok(o1.getState().v.every((x, i) => Object.is(x, v[i])), 'second moments differ');
  // below the size limit (organisms, tiny models) the default is the double-precision update
  assert.ok(n < F32_UPDATE_MIN);
  assert.equal(new AdamW(make(), {}, { helpers: 0 }).precision, 'f64');
});

test('the gradient norm walked in chunks adds every element into the same partial sum as one loop does (bit for bit: clipping, and so organism builds, unchanged)', () => {
  // the one-loop form the optimizer used before: element i into sum (i − lo) mod 4, the ragged end into the first
  const oneLoop = (g: Float32Array, lo: number, hi: number) => {
    const s = [0, 0, 0, 0];
    let i = lo;
    for (; i + 3 < hi; i += 4) for (let k = 0; k < 4; k++) s[k] += g[i + k] * g[i + k];
    for (; i < hi; i++) s[0] += g[i] * g[i];
    return s[0] + s[1] + (s[2] + s[3]);
  };
  const n = 3 * 65_536 + 11;
  const g = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 97)));
  const store = new ParamStore([
    { name: 'a.weight', shape: [5] },
    { name: 'b.weight', shape: [n - 5] },
  ]);
  const opt = new AdamW(store, {}, { helpers: 0 });
  const expected = Math.sqrt(oneLoop(g, 0, 5) + oneLoop(g, 5, n));
  assert.ok(Object.is(opt.gradNorm(g), expected), `${opt.gradNorm(g)} vs ${expected}`);
});
