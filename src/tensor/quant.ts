/**
 * Weight-only int8 quantization for inference, run by ONNX Runtime's MatMulNBits contrib kernel
 * (com.microsoft; 8-bit codes, MLAS int8 GEMM with the activations quantized per block, accuracy
 * level 4).
 *
 * Layout (the kernel's): a Linear weight W [N, K] (out × in, as transformers stores it) is cut
 * along K into blocks of `blockSize`; each block has one float32 scale s = max|w| / 127 and codes
 * q = clamp(round(w / s), −127, 127) + 128 stored as uint8 [N, ⌈K/blockSize⌉, blockSize]
 * (symmetric: no zero-point input, whose default for 8 bits is 128). Dequantized: w ≈ (q − 128)·s,
 * an error of at most s/2 = max|w|/254 per element of a block (the scheme of llama.cpp's Q8_0).
 *
 * The codes and scales are graph constants, not inputs: the kernel pre-packs constant weights
 * once per session and falls back to dequantizing to a float matrix on every run otherwise.
 */
import { ShapeError } from './errors.ts';
import type { Tensor } from './graph.ts';
import { fmt } from './shape.ts';

export const INT8_BLOCK = 32;
const ZERO = 128;

export interface Int8Weight {
  /** Output features (rows of W). */
  n: number;
  /** Input features (columns of W). */
  k: number;
  blockSize: number;
  /** uint8 codes [n, ⌈k/blockSize⌉, blockSize], a padded tail block holding zeros (code 128). */
  codes: Uint8Array;
  /** One scale per (row, block), [n · ⌈k/blockSize⌉]. */
  scales: Float32Array;
}

export function quantizeInt8(w: Float32Array, n: number, k: number, blockSize = INT8_BLOCK): Int8Weight {
  if (w.length !== n * k)
    throw new ShapeError(`quantizeInt8: ${w.length} values are not a ${n} × ${k} matrix`);
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new ShapeError(`quantizeInt8: block size ${blockSize} must be a power of two ≥ 16`);
  const blocks = Math.ceil(k / blockSize);
  const codes = new Uint8Array(n * blocks * blockSize).fill(ZERO);
  const scales = new Float32Array(n * blocks);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocks; b++) {
      const from = row * k + b * blockSize;
      const to = row * k + Math.min(k, (b + 1) * blockSize);
      let absMax = 0;
      for (let i = from; i < to; i++) absMax = Math.max(absMax, Math.abs(w[i]));
      const scale = Math.fround(absMax / 127);
      scales[row * blocks + b] = scale;
      if (scale === 0) continue;
      const out = (row * blocks + b) * blockSize - from;
      for (let i = from; i < to; i++)
        codes[out + i] = ZERO + Math.max(-127, Math.min(127, Math.round(w[i] / scale)));
    }
  }
  return { n, k, blockSize, codes, scales };
}

/** W as the kernel sees it: (q − 128)·s, [n, k]. */
export function dequantizeInt8(q: Int8Weight): Float32Array {
  const blocks = Math.ceil(q.k / q.blockSize);
  const w = new Float32Array(q.n * q.k);
  for (let row = 0; row < q.n; row++) {
    for (let j = 0; j < q.k; j++) {
      const b = Math.floor(j / q.blockSize);
      w[row * q.k + j] =
        (q.codes[(row * blocks + b) * q.blockSize + (j % q.blockSize)] - ZERO) * q.scales[row * blocks + b];
    }
  }
  return w;
}

/** x @ Wᵀ for x [..., K] with W given int8-quantized (MatMulNBits), [..., N]. */
export function linearInt8(x: Tensor, q: Int8Weight): Tensor {
  if (x.dtype !== 'float32') throw new ShapeError(`linearInt8: expected float32 activations, got ${x.dtype}`);
  if (x.shape[x.rank - 1] !== q.k)
    throw new ShapeError(`linearInt8: activations ${fmt(x.shape)} do not end in K = ${q.k}`);
  const g = x.graph;
  const blocks = Math.ceil(q.k / q.blockSize);
  const codes = g.constant(q.codes, 'uint8', [q.n, blocks, q.blockSize]);
  const scales = g.constant(q.scales, 'float32', [q.n * blocks]);
  const attrs = { K: q.k, N: q.n, bits: 8, block_size: q.blockSize, accuracy_level: 4 };
  return g.addNode(
    'MatMulNBits',
    [x, codes, scales],
    [{ dtype: 'float32', shape: [...x.shape.slice(0, -1), q.n] }],
    attrs,
    { domain: 'com.microsoft' },
  )[0];
}
