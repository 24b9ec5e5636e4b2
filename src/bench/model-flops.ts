/**
 * Matrix-product work of a decoder-only transformer, in FLOPs (2 per multiply-add), to put a
 * measured step time against the machine's GEMM rate (what fraction of it a step reaches, and the
 * fastest a step could possibly be). Elementwise ops, norms and the softmaxes are not counted:
 * they are bandwidth-bound and a few percent of a step at this size (docs/parts/performance.md).
 */
import type { ModelConfig } from '../model/config.ts';

type Shape = Pick<ModelConfig, 'vocabSize' | 'hiddenSize' | 'intermediateSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim'>;

/**
 * One forward pass over `rows` sequences of `len` tokens: every weight matrix once per token (the
 * unembedding over all positions, as both the engine and the PyTorch reference compute it), and
 * attention's scores and weighted sum over the full len × len square (neither implementation skips
 * the masked half).
 */
export function forwardMatmulFlops(c: Shape, rows: number, len: number): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perLayerWeights = c.hiddenSize * (2 * q + 2 * kv) + 3 * c.hiddenSize * c.intermediateSize;
  const weights = c.numLayers * perLayerWeights + c.vocabSize * c.hiddenSize;
  const tokens = rows * len;
  const attention = c.numLayers * 2 * (2 * rows * len * len * q);
  return 2 * tokens * weights + attention;
}

/** A training step's forward and backward: each product of the forward has two of the same size in the backward (the input's gradient and the weight's). */
export function trainStepMatmulFlops(c: Shape, rows: number, len: number): number {
  return 3 * forwardMatmulFlops(c, rows, len);
}
