/**
 * The fp32 matrix-product rate ONNX Runtime reaches on the configured threads, in GFLOP/s, as the
 * practical peak a GEMM-bound step can approach: the best of `runs` runs of a MatMul of each shape
 * (both operands graph inputs, as a training step's weights are), and the highest over the shapes.
 * The rate depends on the shape (measured on the 2-core VM: 159–208 GFLOP/s, highest for the long
 * inner dimension of a down-projection), so the set holds a square product and the 0.5B model's MLP
 * products at 1,024 tokens. Each result is summed to one number so that copying it out costs
 * nothing measurable.
 */
import * as T from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';
import { bestMs } from './timing.ts';

/** [m, k, n]: [m × k] · [k × n]. */
export const GEMM_SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [2048, 2048, 2048],
  [1024, 896, 4864],
  [1024, 4864, 896],
];

async function shapeRate([m, k, n]: readonly [number, number, number], runs: number, rng: Rng): Promise<number> {
  const g = new T.Graph();
  const a = g.input('a', 'float32', [m, k]);
  const b = g.input('b', 'float32', [k, n]);
  const graph = await T.compile(g, { s: T.reduceSum(T.matmul(a, b)) });
  const random = (length: number) => Float32Array.from({ length }, () => rng.uniform() - 0.5);
  const feeds = { a: random(m * k), b: random(k * n) };
  const best = await bestMs(() => graph.run(feeds), runs);
  return (2 * m * k * n) / (best / 1000) / 1e9;
}

export async function gemmGflopsPerS(runs = 5): Promise<{ best: number; by_shape: Record<string, number> }> {
  const rng = new Rng(0);
  const byShape: Record<string, number> = {};
  for (const shape of GEMM_SHAPES) byShape[shape.join('x')] = await shapeRate(shape, runs, rng);
  return { best: Math.max(...Object.values(byShape)), by_shape: byShape };
}
