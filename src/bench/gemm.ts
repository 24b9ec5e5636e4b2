/**
 * The fp32 matrix-product rate ONNX Runtime reaches on the configured threads, in GFLOP/s: a
 * 2048 × 2048 by 2048 × 2048 MatMul (17.2 GFLOP, both operands graph inputs as a training step's
 * weights are), best of `runs`. Its result is summed to one number so that copying it out costs
 * nothing measurable (the sum reads 16 MiB against ~0.1 s of product). This is the practical peak
 * a GEMM-bound step can approach, not the processor's nominal one.
 */
import * as T from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';

export async function gemmGflopsPerS(runs = 5, n = 2048): Promise<number> {
  const g = new T.Graph();
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  const graph = await T.compile(g, { s: T.reduceSum(T.matmul(a, b)) });
  const rng = new Rng(0);
  const random = () => Float32Array.from({ length: n * n }, () => rng.uniform() - 0.5);
  const feeds = { a: random(), b: random() };
  await graph.run(feeds);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await graph.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * n * n * n) / (best / 1000) / 1e9;
}
