import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as T from '../../src/tensor/index.ts';
import { dequantizeInt8, linearInt8, quantizeInt8 } from '../../src/tensor/quant.ts';
import { Rng } from '../../src/util/rng.ts';

test('int8 block quantization: hand-computed codes and scales, a padded tail block, an all-zero block', () => {
  // one row, K = 40: a block of 32 and a tail of 8 (padded to 32 with code 128)
  const w = new Float32Array(40);
  w[0] = 1.27;
  w[1] = -0.64;
  w[2] = 0.004; // 0.4 steps: rounds to 0
  w[3] = 0.006; // 0.6 steps: rounds to 1
  // block 2 stays zero
  const q = quantizeInt8(w, 1, 40);
  assert.equal(q.codes.length, 64);
  assert.equal(q.scales[0], Math.fround(1.27 / 127));
  assert.equal(q.scales[1], 0);
  assert.deepEqual([...q.codes.subarray(0, 5)], [255, 128 - 64, 128, 129, 128]);
  assert.ok(q.codes.subarray(32).every((c) => c === 128), 'zero block and padding hold the zero code');
  const back = dequantizeInt8(q);
  assert.equal(back.length, 40);
  assert.ok(Math.abs(back[0] - 1.27) < 1e-6);
  assert.ok(Math.abs(back[1] + 0.64) < 1e-6);
  assert.equal(back[2], 0);
  assert.ok(back.subarray(32).every((x) => x === 0));
});

test('int8 round trip: every element within half a step (max|w|/254) of its block', () => {
  const rng = new Rng(3);
  const [n, k] = [7, 96];
  const w = Float32Array.from({ length: n * k }, () => (rng.uniform() - 0.5) * (rng.uniform() < 0.1 ? 4 : 0.1));
  const q = quantizeInt8(w, n, k);
  const back = dequantizeInt8(q);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < k / 32; b++) {
      const block = Array.from(w.subarray(row * k + b * 32, row * k + b * 32 + 32));
      const half = Math.max(...block.map(Math.abs)) / 254;
      for (let j = 0; j < 32; j++) {
        const i = row * k + b * 32 + j;
        assert.ok(Math.abs(back[i] - w[i]) <= half * (1 + 1e-6), `row ${row} col ${b * 32 + j}: ${back[i]} vs ${w[i]}`);
      }
    }
  }
});

test('MatMulNBits (ONNX Runtime) computes x·Wᵀ of the dequantized weights; close to the fp32 product', async () => {
  const rng = new Rng(5);
  const [m, n, k] = [5, 24, 64];
  const w = Float32Array.from({ length: n * k }, () => rng.uniform() - 0.5);
  const xs = Float32Array.from({ length: m * k }, () => rng.uniform() - 0.5);
  const q = quantizeInt8(w, n, k);
  const g = new T.Graph();
  const x = g.input('x', 'float32', [m, k]);
  const graph = await T.compile(g, { y: linearInt8(x, q), ref: T.linear(x, g.input('w', 'float32', [n, k])) });
  const out = await graph.run({ x: xs, w });
  const y = out.y as Float32Array;
  const exact = out.ref as Float32Array;
  const deq = dequantizeInt8(q);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += xs[i * k + t] * deq[j * k + t];
      // the kernel also rounds activations to int8 per block (accuracy level 4): ~1% of a dot product
      worst = Math.max(worst, Math.abs(y[i * n + j] - s));
      scale = Math.max(scale, Math.abs(s));
    }
  }
  assert.ok(worst < 0.02 * scale, `MatMulNBits vs x·dequant(W)ᵀ: max error ${worst} (largest output ${scale})`);
  const vsFp32 = Math.max(...Array.from(y, (v, i) => Math.abs(v - exact[i])));
  assert.ok(vsFp32 < 0.03 * scale, `vs the fp32 product: max error ${vsFp32}`);
});
