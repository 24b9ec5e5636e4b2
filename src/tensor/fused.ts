/**
 * ONNX Runtime's fused inference kernels for a transformer layer's small operations. Each replaces
 * a chain of elementwise nodes with one, which matters where the per-node cost (~5 µs of kernel and
 * scheduling) is a visible part of a step: a 0.5B model's batch-1 decode step spends ~13 of ~76 ms
 * outside its matrix-vector products, in ~1,100 small nodes. They have no gradient rules, so a
 * graph that differentiates through one fails at `grad` (NoGradientError) instead of training on
 * a wrong gradient. float32 only (the CPU RotaryEmbedding kernel has no double).
 */
import { ShapeError } from './errors.ts';
import type { Tensor } from './graph.ts';
import { fmt, sameShape } from './shape.ts';

function requireFloat32(op: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new ShapeError(`${op}: expected float32, got ${t.dtype}${fmt(t.shape)}`);
}

/** x / sqrt(mean(x², last axis) + eps) · weight, as one SimplifiedLayerNormalization node. */
export function fusedRmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  requireFloat32('fusedRmsNorm', x);
  requireFloat32('fusedRmsNorm', weight);
  if (weight.rank !== 1 || weight.shape[0] !== x.shape[x.rank - 1]) {
    throw new ShapeError(`fusedRmsNorm: weight ${fmt(weight.shape)} does not match the last axis of ${fmt(x.shape)}`);
  }
  return x.graph.addNode('SimplifiedLayerNormalization', [x, weight], [{ dtype: x.dtype, shape: x.shape }], { axis: -1, epsilon: { float: eps } })[0];
}

/**
 * Rotate-half rotary embedding of x [B, T, heads · headDim] (heads side by side, as a projection
 * emits them) at positions [B, T] int64, with cos/sin tables [positions, headDim / 2] whose rows
 * cover every position id — one com.microsoft RotaryEmbedding node.
 */
export function fusedRotary(x: Tensor, positions: Tensor, cos: Tensor, sin: Tensor, heads: number): Tensor {
  requireFloat32('fusedRotary', x);
  if (x.rank !== 3 || x.shape[2] % heads !== 0) throw new ShapeError(`fusedRotary: input ${fmt(x.shape)} is not [B, T, ${heads} heads · headDim]`);
  const half = x.shape[2] / heads / 2;
  if (!sameShape(positions.shape, x.shape.slice(0, 2)) || positions.dtype !== 'int64') {
    throw new ShapeError(`fusedRotary: positions ${positions.dtype}${fmt(positions.shape)} are not int64 [${x.shape[0]}, ${x.shape[1]}]`);
  }
  for (const table of [cos, sin]) {
    requireFloat32('fusedRotary', table);
    if (table.rank !== 2 || table.shape[1] !== half) throw new ShapeError(`fusedRotary: table ${fmt(table.shape)} is not [positions, ${half}]`);
  }
  const attrs = { num_heads: heads, interleaved: 0 };
  return x.graph.addNode('RotaryEmbedding', [x, positions, cos, sin], [{ dtype: x.dtype, shape: x.shape }], attrs, { domain: 'com.microsoft' })[0];
}
