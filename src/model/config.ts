/**
 * Hugging Face `config.json` for the supported decoder-only architectures (transformers'
 * Qwen2ForCausalLM and LlamaForCausalLM), the parameter names and shapes they imply, and the
 * check of a loaded checkpoint against them.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import type { TensorInfo } from './checkpoint.ts';
import { isFloatDtype } from './safetensors.ts';

export const SUPPORTED_MODEL_TYPES = ['qwen2', 'llama'] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

export interface ModelConfig {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  maxPositionEmbeddings: number;
  /** Bias on q_proj/k_proj/v_proj (always for qwen2; `attention_bias` for llama). */
  qkvBias: boolean;
  /** Bias on o_proj (never for qwen2; `attention_bias` for llama). */
  oBias: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** `torch_dtype` (or `dtype`) as written, e.g. "bfloat16"; null if absent. */
  torchDtype: string | null;
  initializerRange: number;
}

/** Reads and validates `config.json`. */
export function readModelConfig(path: string): ModelConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read model config ${path}: ${(err as Error).message}`);
  }
  return parseModelConfig(json, path);
}

/** Validates a parsed `config.json`; `source` names it in errors. */
export function parseModelConfig(json: unknown, source: string): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new UserError(`${source}: not a JSON object`);
  const raw = json as Record<string, unknown>;
  const fail = (field: string, problem: string) => new UserError(`${source}: ${field} ${problem}`);
  const supported = `supported: model_type ${SUPPORTED_MODEL_TYPES.join(' or ')} (Qwen2ForCausalLM, LlamaForCausalLM) with hidden_act silu, no rope_scaling, no sliding window, no mlp_bias, no quantization`;

  const modelType = raw.model_type;
  if (!SUPPORTED_MODEL_TYPES.includes(modelType as ModelType))
    throw fail('model_type', `${JSON.stringify(modelType)} is not supported (${supported})`);

  const positiveInt = (field: string, fallback?: number): number => {
    const v = raw[field] ?? fallback;
    if (v === undefined) throw fail(field, 'is missing');
    if (!Number.isSafeInteger(v) || (v as number) <= 0)
      throw fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const positiveNumber = (field: string, fallback?: number): number => {
    const v = raw[field] ?? fallback;
    if (v === undefined) throw fail(field, 'is missing');
    if (typeof v !== 'number' || !(v > 0))
      throw fail(field, `must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = raw[field] ?? fallback;
    if (typeof v !== 'boolean') throw fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const tokenId = (v: unknown, field: string): number => {
    if (!Number.isSafeInteger(v) || (v as number) < 0)
      throw fail(field, `must be a token id, got ${JSON.stringify(v)}`);
    return v as number;
  };

  const hiddenAct = raw.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu')
    throw fail('hidden_act', `${JSON.stringify(hiddenAct)} is not supported (${supported})`);
  if (raw.rope_scaling !== undefined && raw.rope_scaling !== null)
    throw fail(
      'rope_scaling',
      `${JSON.stringify(raw.rope_scaling)} is not supported; only null (plain RoPE) is`,
    );
  if (raw.use_sliding_window === true)
    throw fail('use_sliding_window', 'true is not supported (full attention only)');
  if (raw.mlp_bias === true) throw fail('mlp_bias', 'true is not supported');
  if (raw.quantization_config !== undefined)
    throw fail('quantization_config', 'is present; quantized checkpoints are not supported');

  const hiddenSize = positiveInt('hidden_size');
  const numHeads = positiveInt('num_attention_heads');
  const numKvHeads = positiveInt('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0)
    throw fail('num_key_value_heads', `${numKvHeads} must divide num_attention_heads ${numHeads}`);
  if (raw.head_dim === undefined && hiddenSize % numHeads !== 0)
    throw fail(
      'hidden_size',
      `${hiddenSize} is not divisible by num_attention_heads ${numHeads} (and head_dim is not given)`,
    );
  const headDim = positiveInt('head_dim', hiddenSize / numHeads);
  if (headDim % 2 !== 0) throw fail('head_dim', `${headDim} must be even for rotary embeddings`);

  const attentionBias = modelType === 'llama' ? bool('attention_bias', false) : false;
  const eos = raw.eos_token_id;
  const eosTokenIds =
    eos === undefined || eos === null
      ? []
      : Array.isArray(eos)
        ? eos.map((v) => tokenId(v, 'eos_token_id'))
        : [tokenId(eos, 'eos_token_id')];
  const bos = raw.bos_token_id;
  const dtype = raw.torch_dtype ?? raw.dtype ?? null;
  if (dtype !== null && typeof dtype !== 'string')
    throw fail('torch_dtype', `must be a string, got ${JSON.stringify(dtype)}`);

  return {
    modelType: modelType as ModelType,
    vocabSize: positiveInt('vocab_size'),
    hiddenSize,
    intermediateSize: positiveInt('intermediate_size'),
    numLayers: positiveInt('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: positiveNumber('rms_norm_eps'),
    ropeTheta: positiveNumber('rope_theta', 10000),
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    maxPositionEmbeddings: positiveInt('max_position_embeddings', 2048),
    qkvBias: modelType === 'qwen2' || attentionBias,
    oBias: attentionBias,
    bosTokenId: bos === undefined || bos === null ? null : tokenId(bos, 'bos_token_id'),
    eosTokenIds,
    torchDtype: dtype,
    initializerRange: positiveNumber('initializer_range', 0.02),
  };
}

/**
 * Every parameter of the model with its shape, named exactly as transformers names them
 * (Linear weights are [out, in]), in transformers' module order.
 */
export function parameterShapes(config: ModelConfig): Map<string, number[]> {
  const { hiddenSize: h, headDim, intermediateSize: m, vocabSize: v } = config;
  const q = config.numHeads * headDim;
  const kv = config.numKvHeads * headDim;
  const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [v, h]]]);
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}.`;
    shapes.set(`${p}self_attn.q_proj.weight`, [q, h]);
    if (config.qkvBias) shapes.set(`${p}self_attn.q_proj.bias`, [q]);
    shapes.set(`${p}self_attn.k_proj.weight`, [kv, h]);
    if (config.qkvBias) shapes.set(`${p}self_attn.k_proj.bias`, [kv]);
    shapes.set(`${p}self_attn.v_proj.weight`, [kv, h]);
    if (config.qkvBias) shapes.set(`${p}self_attn.v_proj.bias`, [kv]);
    shapes.set(`${p}self_attn.o_proj.weight`, [h, q]);
    if (config.oBias) shapes.set(`${p}self_attn.o_proj.bias`, [h]);
    shapes.set(`${p}mlp.gate_proj.weight`, [m, h]);
    shapes.set(`${p}mlp.up_proj.weight`, [m, h]);
    shapes.set(`${p}mlp.down_proj.weight`, [h, m]);
    shapes.set(`${p}input_layernorm.weight`, [h]);
    shapes.set(`${p}post_attention_layernorm.weight`, [h]);
  }
  shapes.set('model.norm.weight', [h]);
  if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [v, h]);
  return shapes;
}

/** Tensors transformers itself ignores when loading: old rotary buffers, and a redundant lm_head when tied. */
function isIgnorable(name: string, config: ModelConfig): boolean {
  return name.endsWith('.rotary_emb.inv_freq') || (config.tieWordEmbeddings && name === 'lm_head.weight');
}

/**
 * Checks every tensor's name, dtype and shape against the config and throws one UserError listing
 * every problem (each naming the file and tensor). Returns the names of tensors to ignore.
 */
export function validateCheckpoint(
  config: ModelConfig,
  tensors: ReadonlyMap<string, TensorInfo>,
  source: string,
): string[] {
  const expected = parameterShapes(config);
  const problems: string[] = [];
  const ignored: string[] = [];
  for (const [name, shape] of expected) {
    const tensor = tensors.get(name);
    if (!tensor) {
      problems.push(`missing tensor '${name}' (expected shape ${JSON.stringify(shape)})`);
      continue;
    }
    if (!isFloatDtype(tensor.dtype))
      problems.push(
        `${tensor.file}: tensor '${name}' has dtype ${tensor.dtype}; parameters must be F32, F16, BF16 or F64`,
      );
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, k) => d !== shape[k]))
      problems.push(
        `${tensor.file}: tensor '${name}' has shape ${JSON.stringify(tensor.shape)}, expected ${JSON.stringify(shape)}`,
      );
  }
  for (const [name, tensor] of tensors) {
    if (expected.has(name)) continue;
    if (isIgnorable(name, config)) ignored.push(name);
    else
      problems.push(
        `${tensor.file}: unexpected tensor '${name}' (not a parameter of this ${config.modelType} config)`,
      );
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
    throw new UserError(`checkpoint ${source} does not match its config:\n  ${shown.join('\n  ')}`);
  }
  return ignored;
}
