// The engine fixtures are what their README and script claim: recomputed here in plain float64
// JavaScript from the stored inputs (values directly, gradients by central differences).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSafetensors } from '../../src/model/safetensors.ts';

type Params = Record<string, Float64Array>;

function load(file: string) {
  const { tensors } = readSafetensors(`tests/fixtures/engine/${file}`);
  const f64 = (name: string) => Float64Array.from(tensors.get(name)!.data as Float32Array);
  return { tensors, f64 };
}

/** out[i, j] = sum_k a[i, k] b[k, j] for row-major a [n, m], b [m, p]. */
function matmul(a: Float64Array, b: Float64Array, n: number, m: number, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < m; k++) for (let j = 0; j < p; j++) out[i * p + j] += a[i * m + k] * b[k * p + j];
  return out;
}

function mlp(p: Params, targets: number[]): { z: Float64Array; loss: number } {
  const h = matmul(p.x, p.W1, 5, 7, 16).map((v, i) => Math.tanh(v + p.b1[i % 16]));
  const z = matmul(h, p.W2, 5, 16, 4).map((v, i) => v + p.b2[i % 4]);
  let loss = 0;
  for (let i = 0; i < 5; i++) {
    const row = z.subarray(i * 4, i * 4 + 4);
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    loss += (logSum - row[targets[i]]) / 5;
  }
  return { z, loss };
}

function attention(p: Params, r: Float64Array): { out: Float64Array; loss: number } {
  const [batch, seq, d, heads, dh] = [2, 6, 16, 2, 8];
  const x2 = p.x;
  const q = matmul(x2, p.Wq, batch * seq, d, d);
  const k = matmul(x2, p.Wk, batch * seq, d, d);
  const v = matmul(x2, p.Wv, batch * seq, d, d);
  const merged = new Float64Array(batch * seq * d);
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < seq; i++) {
        const at = (t: Float64Array, pos: number, c: number) => t[(b * seq + pos) * d + h * dh + c];
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let c = 0; c < dh; c++) s += at(q, i, c) * at(k, j, c);
          scores.push(s / Math.sqrt(dh));
        }
        const max = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - max));
        const total = weights.reduce((a, w) => a + w, 0);
        for (let c = 0; c < dh; c++)
          merged[(b * seq + i) * d + h * dh + c] = weights.reduce(
            (a, w, j) => a + (w / total) * at(v, j, c),
            0,
          );
      }
  const out = matmul(merged, p.Wo, batch * seq, d, d).map((val, i) => val + x2[i]);
  return { out, loss: out.reduce((s, val, i) => s + val * r[i], 0) };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, what);
  const scale = Math.max(...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++)
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= rtol * scale,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
}

/** Central differences of `loss` w.r.t. every entry of every parameter (the fixtures are small). */
function checkGradients(
  params: Params,
  loss: (p: Params) => number,
  grad: (name: string) => Float64Array,
): void {
  for (const name of Object.keys(params)) {
    const numeric = new Float64Array(params[name].length);
    for (let i = 0; i < numeric.length; i++) {
      const saved = params[name][i];
      const eps = 1e-6 * Math.max(1, Math.abs(saved));
      params[name][i] = saved + eps;
      const up = loss(params);
      params[name][i] = saved - eps;
      const down = loss(params);
      params[name][i] = saved;
      numeric[i] = (up - down) / (2 * eps);
    }
    assertClose(numeric, grad(name), 1e-6, `grad.${name}`);
  }
}

test('engine fixture mlp.safetensors: z, loss and every gradient', () => {
  const { tensors, f64 } = load('mlp.safetensors');
  const targets = Array.from(tensors.get('in.targets')!.data as BigInt64Array, Number);
  const params: Params = Object.fromEntries(['x', 'W1', 'b1', 'W2', 'b2'].map((n) => [n, f64(`in.${n}`)]));
  const { z, loss } = mlp(params, targets);
  assertClose(z, f64('out.z'), 1e-6, 'out.z');
  assertClose([loss], f64('out.loss'), 1e-6, 'out.loss');
  checkGradients(
    params,
    (p) => mlp(p, targets).loss,
    (n) => f64(`grad.${n}`),
  );
});

test('engine fixture attention.safetensors: out, loss and every gradient', () => {
  const { f64 } = load('attention.safetensors');
  const r = f64('in.r');
  const params: Params = Object.fromEntries(['x', 'Wq', 'Wk', 'Wv', 'Wo'].map((n) => [n, f64(`in.${n}`)]));
  const { out, loss } = attention(params, r);
  assertClose(out, f64('out.out'), 1e-6, 'out.out');
  assertClose([loss], f64('out.loss'), 1e-6, 'out.loss');
  checkGradients(
    params,
    (p) => attention(p, r).loss,
    (n) => f64(`grad.${n}`),
  );
});
