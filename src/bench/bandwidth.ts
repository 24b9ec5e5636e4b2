/**
 * Memory read bandwidth as the engine sees it: ONNX Runtime summing a 512 MiB float32 input on the
 * configured threads (read once per run; the result is one number). Decoding a model at batch 1
 * reads every weight once per token, so tokens/s × weight bytes / this bandwidth is the fraction of
 * the machine's limit a decoder reaches.
 */
import * as T from '../tensor/index.ts';
import { bestMs } from './timing.ts';

export async function readBandwidthGbPerS(runs = 5): Promise<number> {
  const n = 128 * 2 ** 20;
  const g = new T.Graph();
  const x = g.input('x', 'float32', [n]);
  const graph = await T.compile(g, { s: T.reduceSum(x) });
  const data = new Float32Array(n).fill(1);
  const best = await bestMs(() => graph.run({ x: data }), runs);
  return (n * 4) / (best / 1000) / 1e9;
}
