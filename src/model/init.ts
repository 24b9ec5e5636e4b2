/**
 * Randomly initialized checkpoints, as transformers' `_init_weights` does for Qwen2/Llama:
 * normal(0, initializer_range) for every Linear and Embedding weight, zeros for biases, ones for
 * RMSNorm weights. One seeded stream (src/util/rng.ts) fills the parameters in transformers'
 * module order, so a (config, seed) pair always gives the same weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { saveCheckpoint } from './checkpoint.ts';
import { charTokenizerFiles, writeCharTokenizer } from './charTokenizer.ts';
import { type ModelConfig, parameterShapes, parseModelConfig } from './config.ts';
import { type FloatWriteDtype, type Tensor, elementCount } from './safetensors.ts';
import { Tokenizer } from './tokenizer.ts';

export function initParameters(config: ModelConfig, seed: number): Map<string, Tensor> {
  const rng = new Rng(seed);
  const tensors = new Map<string, Tensor>();
  for (const [name, shape] of parameterShapes(config)) {
    const data = new Float32Array(elementCount(shape));
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) rng.fillNormal(data, 0, config.initializerRange);
    tensors.set(name, { dtype: 'F32', shape, data });
  }
  return tensors;
}

const TORCH_DTYPE_NAMES: Record<FloatWriteDtype, string> = {
  F32: 'float32',
  BF16: 'bfloat16',
  F16: 'float16',
};
const ARCHITECTURES: Record<ModelConfig['modelType'], string> = {
  qwen2: 'Qwen2ForCausalLM',
  llama: 'LlamaForCausalLM',
};

export interface InitModelOptions {
  /** The HF config.json contents; written back with `torch_dtype` (and `architectures` if missing) filled in. */
  rawConfig: Record<string, unknown>;
  /** Names the config in errors. */
  configSource: string;
  /** Path of a tokenizer.json (tokenizer_config.json / generation_config.json next to it are copied too), or 'char' for the character tokenizer. */
  tokenizer: string;
  seed: number;
  out: string;
  dtype?: FloatWriteDtype;
  maxShardBytes?: number;
}

/** Writes config.json, the weights, and the tokenizer files into `out`, each atomically. */
export function initModelDir(options: InitModelOptions): ModelConfig {
  const config = parseModelConfig(options.rawConfig, options.configSource);
  const dtype = options.dtype ?? 'F32';
  const tokenizerVocab =
    options.tokenizer === 'char' ? charTokenizerFiles().vocabSize : checkTokenizerFile(options.tokenizer);
  if (tokenizerVocab > config.vocabSize)
    throw new UserError(
      `${options.configSource}: vocab_size ${config.vocabSize} is smaller than the tokenizer's ${tokenizerVocab} token ids (${options.tokenizer})`,
    );
  saveCheckpoint(options.out, initParameters(config, options.seed), {
    dtype,
    maxShardBytes: options.maxShardBytes,
  });
  if (options.tokenizer === 'char') writeCharTokenizer(options.out);
  else copyTokenizerFiles(options.tokenizer, options.out, config);
  const written = {
    architectures: [ARCHITECTURES[config.modelType]],
    ...options.rawConfig,
    torch_dtype: TORCH_DTYPE_NAMES[dtype],
  };
  writeFileAtomic(join(options.out, 'config.json'), JSON.stringify(written, null, 2) + '\n');
  return config;
}

/** Loads the tokenizer (with its sibling files) to fail early on a bad one; returns its id-space size. */
function checkTokenizerFile(path: string): number {
  if (!existsSync(path)) throw new UserError(`tokenizer file ${path} does not exist`);
  return Tokenizer.fromDir(dirname(path)).vocabSize;
}

function copyTokenizerFiles(tokenizerPath: string, out: string, config: ModelConfig): void {
  writeFileAtomic(join(out, 'tokenizer.json'), readFileSync(tokenizerPath));
  const source = dirname(tokenizerPath);
  for (const file of ['tokenizer_config.json', 'generation_config.json'])
    if (existsSync(join(source, file))) writeFileAtomic(join(out, file), readFileSync(join(source, file)));
  if (!existsSync(join(source, 'generation_config.json'))) {
    const generated: Record<string, unknown> = {};
    if (config.bosTokenId !== null) generated.bos_token_id = config.bosTokenId;
    if (config.eosTokenIds.length > 0)
      generated.eos_token_id = config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds;
    writeFileAtomic(join(out, 'generation_config.json'), JSON.stringify(generated, null, 2) + '\n');
  }
}

/** A small Qwen2-shaped model for synthetic tasks; `writeCharModelDir` fills in the vocabulary and special ids. */
export const CHAR_MODEL_DEFAULTS: Record<string, unknown> = {
  model_type: 'qwen2',
  hidden_size: 64,
  intermediate_size: 176,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  hidden_act: 'silu',
  rms_norm_eps: 1e-6,
  rope_theta: 10000.0,
  rope_scaling: null,
  tie_word_embeddings: true,
  max_position_embeddings: 2048,
  initializer_range: 0.02,
  use_sliding_window: false,
};

/**
 * A complete randomly initialized model directory with the character tokenizer (for tests and
 * synthetic tasks). `config` overrides CHAR_MODEL_DEFAULTS; vocab_size defaults to the tokenizer's.
 */
export function writeCharModelDir(
  out: string,
  options: { seed: number; config?: Record<string, unknown>; dtype?: FloatWriteDtype },
): ModelConfig {
  const files = charTokenizerFiles();
  const ids = files.generationConfig as { eos_token_id: number[]; pad_token_id: number };
  const rawConfig = {
    ...CHAR_MODEL_DEFAULTS,
    vocab_size: files.vocabSize,
    bos_token_id: null,
    eos_token_id: ids.eos_token_id,
    pad_token_id: ids.pad_token_id,
    ...options.config,
  };
  return initModelDir({
    rawConfig,
    configSource: 'character model config',
    tokenizer: 'char',
    seed: options.seed,
    out,
    dtype: options.dtype,
  });
}
