/**
 * The model's readout applied to arbitrary vectors: final RMSNorm weight γ and the unembedding
 * (lm_head, or the tied embedding). Each vector x is divided by a given RMS s before: its own
 * (`rmsOf(x)`, the logit lens on a residual stream) or the final residual's at the same position
 * (direct logit attribution of a component: the components' logits then sum to the model's logits).
 */
import * as T from '../tensor/index.ts';
import { UserError } from '../util/errors.ts';
import type { CausalLM } from './causal-lm.ts';

/** sqrt(mean(x²) + ε), the divisor RMSNorm uses. */
export function rmsOf(x: ArrayLike<number>, eps: number, offset = 0, length = x.length - offset): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += x[offset + i] * x[offset + i];
  return Math.sqrt(sum / length + eps);
}

/** Vectors per compiled graph call (bounds the [n, vocab] outputs: 64 × 152k floats ≈ 39 MB each). */
const CHUNK = 64;

/**
 * Log-probabilities [n, V] and log-normalizers [n] of W_U(γ ⊙ x_i / s_i) for n vectors x_i of the
 * hidden size laid out in `vectors`, with s_i = `rms[i]`.
 */
export async function unembed(lm: CausalLM, vectors: Float32Array, rms: ArrayLike<number>): Promise<{ logprobs: Float32Array; logNormalizer: Float32Array }> {
  const d = lm.config.hiddenSize;
  const v = lm.config.vocabSize;
  const n = rms.length;
  if (vectors.length !== n * d) throw new UserError(`unembed: ${vectors.length} values are not ${n} vectors of size ${d}`);
  const logprobs = new Float32Array(n * v);
  const logNormalizer = new Float32Array(n);
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    const graph = await lm.compiled(`unembed:${m}`, undefined, (io) => {
      const x = io.input('vectors', 'float32', [m, d]);
      const head = lm.config.tieWordEmbeddings ? io.param('model.embed_tokens.weight') : io.param('lm_head.weight');
      const logits = T.linear(T.mul(x, io.param('model.norm.weight')), head);
      const logp = T.logSoftmax(logits, -1);
      const first = (t: T.Tensor) => T.reshape(T.slice(t, [0], [1], [1]), [m]);
      return { logprobs: logp, log_normalizer: T.sub(first(logits), first(logp)) };
    });
    const scaled = new Float32Array(m * d);
    for (let i = 0; i < m; i++) {
      const s = rms[start + i];
      for (let j = 0; j < d; j++) scaled[i * d + j] = vectors[(start + i) * d + j] / s;
    }
    const out = await graph.run({ ...lm.paramFeeds(), vectors: scaled });
    logprobs.set(out.logprobs as Float32Array, start * v);
    logNormalizer.set(out.log_normalizer as Float32Array, start);
  }
  return { logprobs, logNormalizer };
}
