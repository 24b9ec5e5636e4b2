/**
 * The decoder-only transformer of Hugging Face's Qwen2ForCausalLM / LlamaForCausalLM, traced on the
 * engine. Parameter names and layouts are those of `transformers` (Linear weights [out, in]).
 */
import type { Tensor } from '../tensor/index.ts';
import * as op from '../tensor/ops.ts';
import type { ModelConfig } from './config.ts';

/** Called at every TransformerLens-named hook point; returns the tensor that flows on (identity by default). */
export type HookFn = (name: string, value: Tensor) => Tensor;

export interface ForwardInputs {
  /** [B, T] int64 token ids. */
  inputIds: Tensor;
  /** [B, T] int64 rotary positions (for left padding: cumsum(mask) − 1). */
  positions: Tensor;
  /** [B, 1, 1, T, P+T] float additive attention bias (see `attentionBias`). */
  attnBias: Tensor;
  /** Per layer cached keys/values [B, KVH, P, headDim] from earlier positions (KV-cache decoding). */
  past?: Array<{ k: Tensor; v: Tensor }>;
  /** Compute logits for the last position only ([B, 1, V]): all that sampling the next token needs. */
  lastOnly?: boolean;
}

export interface ForwardOutputs {
  logits: Tensor;
  /** Per layer keys (rotated) and values [B, KVH, T, headDim] of this call's positions, for the caller's KV cache. */
  newKv: Array<{ k: Tensor; v: Tensor }>;
}

export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const variance = op.reduceMean(op.mul(x, x), [-1], true);
  return op.mul(op.mul(x, op.reciprocal(op.sqrt(op.add(variance, eps)))), weight);
}

/** cos and sin of the rotary angles, [B, 1, 1, T, headDim] (the two halves repeat, as in rotate-half RoPE). */
function rotaryTables(c: ModelConfig, positions: Tensor, dtype: 'float32' | 'float64'): { cos: Tensor; sin: Tensor } {
  const half = c.headDim / 2;
  const invFreq = dtype === 'float64' ? new Float64Array(half) : new Float32Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = 1 / c.ropeTheta ** ((2 * i) / c.headDim);
  const g = positions.graph;
  const [b, t] = positions.shape;
  const angles = op.mul(op.unsqueeze(op.cast(positions, dtype), -1), g.constant(invFreq, dtype, [half]));
  const full = op.reshape(op.concat([angles, angles], -1), [b, 1, 1, t, c.headDim]);
  return { cos: op.cos(full), sin: op.sin(full) };
}

function applyRotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const half = x.shape[x.rank - 1] / 2;
  const [x1, x2] = op.split(x, [half, half], -1);
  const rotated = op.concat([op.neg(x2), x1], -1);
  return op.add(op.mul(x, cos), op.mul(rotated, sin));
}

/**
 * Traces one forward pass. `param(name)` supplies each weight as a graph input; `hook` sees (and
 * may replace) the activations at TransformerLens hook points.
 */
/** x @ Wᵀ for the weight named `weight` (a [out, in] parameter); a model with quantized weights replaces it. */
export type LinearFn = (x: Tensor, weight: string) => Tensor;

export function traceTransformer(
  c: ModelConfig,
  param: (name: string) => Tensor,
  inp: ForwardInputs,
  hook: HookFn = (_name, v) => v,
  project: LinearFn = (x, weight) => op.linear(x, param(weight)),
): ForwardOutputs {
  const [b, t] = inp.inputIds.shape;
  const kvh = c.numKvHeads;
  const rep = c.numHeads / kvh;
  const dh = c.headDim;
  const embed = param('model.embed_tokens.weight');
  const dtype = embed.dtype === 'float64' ? 'float64' : 'float32';
  const { cos, sin } = rotaryTables(c, inp.positions, dtype);
  const scale = 1 / Math.sqrt(dh);
  const maybeBias = (name: string) => (c.qkvBias ? param(name) : undefined);
  const withBias = (y: Tensor, bias?: Tensor) => (bias ? op.add(y, bias) : y);

  let resid = hook('hook_embed', op.gather(embed, inp.inputIds, 0));
  const newKv: ForwardOutputs['newKv'] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}`;
    resid = hook(`blocks.${i}.hook_resid_pre`, resid);
    const x = rmsNorm(resid, param(`${p}.input_layernorm.weight`), c.rmsNormEps);
    // q as [B, KVH, rep, T, dh] so grouped heads share k/v by broadcasting instead of copying them
    const q = op.transpose(
      op.reshape(withBias(project(x, `${p}.self_attn.q_proj.weight`), maybeBias(`${p}.self_attn.q_proj.bias`)), [b, t, kvh, rep, dh]),
      [0, 2, 3, 1, 4],
    );
    const kNew = op.transpose(
      op.reshape(withBias(project(x, `${p}.self_attn.k_proj.weight`), maybeBias(`${p}.self_attn.k_proj.bias`)), [b, t, kvh, dh]),
      [0, 2, 1, 3],
    );
    const vNew = op.transpose(
      op.reshape(withBias(project(x, `${p}.self_attn.v_proj.weight`), maybeBias(`${p}.self_attn.v_proj.bias`)), [b, t, kvh, dh]),
      [0, 2, 1, 3],
    );
    const kRot = op.reshape(applyRotary(op.unsqueeze(kNew, 2), cos, sin), [b, kvh, t, dh]);
    const past = inp.past?.[i];
    const k = past ? op.concat([past.k, kRot], 2) : kRot;
    const v = past ? op.concat([past.v, vNew], 2) : vNew;
    newKv.push({ k: kRot, v: vNew });
    const qRot = op.mul(applyRotary(q, cos, sin), scale);
    const scores = op.add(op.matmul(qRot, op.transpose(op.unsqueeze(k, 2), [0, 1, 2, 4, 3])), inp.attnBias);
    const attn = op.matmul(op.softmax(scores, -1), op.unsqueeze(v, 2));
    // per-head outputs [B, T, H, dh] (head h = kvHead·rep + r, the order of q_proj's output, as in transformers)
    const z = hook(`blocks.${i}.attn.hook_z`, op.reshape(op.transpose(attn, [0, 3, 1, 2, 4]), [b, t, c.numHeads, dh]));
    const merged = op.reshape(z, [b, t, c.numHeads * dh]);
    const oBias = c.oBias ? param(`${p}.self_attn.o_proj.bias`) : undefined;
    const attnOut = hook(`blocks.${i}.hook_attn_out`, withBias(project(merged, `${p}.self_attn.o_proj.weight`), oBias));
    resid = hook(`blocks.${i}.hook_resid_mid`, op.add(resid, attnOut));
    const h = rmsNorm(resid, param(`${p}.post_attention_layernorm.weight`), c.rmsNormEps);
    const gate = hook(`blocks.${i}.mlp.hook_pre`, project(h, `${p}.mlp.gate_proj.weight`));
    const up = hook(`blocks.${i}.mlp.hook_pre_linear`, project(h, `${p}.mlp.up_proj.weight`));
    const keys = hook(`blocks.${i}.mlp.hook_post`, op.swiglu(gate, up));
    const mlpOut = hook(`blocks.${i}.hook_mlp_out`, project(keys, `${p}.mlp.down_proj.weight`));
    resid = hook(`blocks.${i}.hook_resid_post`, op.add(resid, mlpOut));
  }
  const last = inp.lastOnly ? op.slice(resid, [t - 1], [t], [1]) : resid;
  const normed = hook('ln_final.hook_normalized', rmsNorm(last, param('model.norm.weight'), c.rmsNormEps));
  return { logits: project(normed, headWeightName(c)), newKv };
}

/** The parameter the output projection reads: lm_head, or the embedding when tied. */
export function headWeightName(c: ModelConfig): string {
  return c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
}

/** float32 lowest, as transformers fills masked scores: a fully masked row stays finite (uniform), never NaN. */
const MASKED = -3.4028234663852886e38;

/**
 * Additive attention bias [B, 1, 1, T, P+T] for T new query positions after P cached ones: query t
 * (key position P+t) may attend key j when j ≤ P+t and keyMask[b][j] is 1 (0 marks padding).
 */
export function attentionBias(keyMask: ReadonlyArray<ArrayLike<number>>, queryLen: number): Float32Array {
  const b = keyMask.length;
  const k = keyMask[0]?.length ?? 0;
  const past = k - queryLen;
  const bias = new Float32Array(b * queryLen * k);
  for (let i = 0; i < b; i++) {
    const mask = keyMask[i];
    for (let t = 0; t < queryLen; t++) {
      const row = (i * queryLen + t) * k;
      for (let j = 0; j < k; j++) if (j > past + t || mask[j] === 0) bias[row + j] = MASKED;
    }
  }
  return bias;
}
