/**
 * A loaded causal language model on the engine: its config, its parameters in one flat store, its
 * tokenizer, and the compiled graphs it runs (cached by purpose and shape, so weights can change
 * between calls without recompiling).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../tensor/index.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { saveCheckpoint } from './checkpoint.ts';
import type { ModelConfig } from './config.ts';
import { compileHooks, type HookPlan, hookPlanKey, validateHookPlan } from './hooks.ts';
import { loadModelParams } from './modelDir.ts';
import type { FloatWriteDtype, Tensor as StoredTensor } from './safetensors.ts';
import { Tokenizer } from './tokenizer.ts';
import { type Int8Weight, linearInt8, quantizeInt8 } from '../tensor/quant.ts';
import { attentionBias, type ForwardInputs, type ForwardOutputs, headWeightName, type LinearFn, traceTransformer } from './transformer.ts';

/** How inference graphs read the projection matrices: the fp32 parameters, or int8 copies of them (weight-only, MatMulNBits). */
export type WeightFormat = 'fp32' | 'int8';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['fp32', 'int8'];

export function parseWeightFormat(value: string, what = 'weights'): WeightFormat {
  if (!(WEIGHT_FORMATS as readonly string[]).includes(value)) throw new UserError(`${what}: '${value}' is not one of ${WEIGHT_FORMATS.join(', ')}`);
  return value as WeightFormat;
}

/** The --weights option of the commands that generate with the embedded engine. */
export const WEIGHTS_OPTION_HELP = 'projection weights for inference: fp32, or int8 (weight-only, block-quantized; ~3.5x fewer bytes read per token; docs/parts/performance.md)';

/** --weights with a model behind a server (which decides its own weights): anything but fp32 is refused. */
export function refuseServerWeights(weights: string): void {
  if (weights !== 'fp32') throw new UserError(`--weights ${weights} applies to the embedded engine (--model); a server decides its own weights`);
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'];

/** Token ids laid out for one forward pass: [B, T] ids and rotary positions, [B, 1, 1, T, T] attention bias. */
export interface TokenBatch {
  b: number;
  t: number;
  ids: BigInt64Array;
  positions: BigInt64Array;
  bias: Float32Array;
}

/** Rows padded on the right to length `t` (≥ the longest row), positions 0.. per row, causal + padding mask. */
export function rightPadded(rows: ReadonlyArray<readonly number[]>, t: number, padId: number): TokenBatch & { mask: Uint8Array } {
  const b = rows.length;
  const ids = new BigInt64Array(b * t).fill(BigInt(padId));
  const positions = new BigInt64Array(b * t);
  const mask = new Uint8Array(b * t);
  rows.forEach((row, i) => {
    if (row.length > t) throw new UserError(`sequence of ${row.length} tokens does not fit the batch length ${t}`);
    row.forEach((id, j) => {
      ids[i * t + j] = BigInt(id);
      mask[i * t + j] = 1;
    });
    for (let j = 0; j < t; j++) positions[i * t + j] = BigInt(Math.min(j, Math.max(0, row.length - 1)));
  });
  const masks = Array.from({ length: b }, (_, i) => mask.subarray(i * t, (i + 1) * t));
  return { b, t, ids, positions, bias: attentionBias(masks, t), mask };
}

export interface GraphIO {
  g: T.Graph;
  /** The weight input of a parameter. */
  param(name: string): T.Tensor;
  /** Declares (once) and returns a non-parameter graph input. */
  input(name: string, dtype: T.DType, shape: readonly number[]): T.Tensor;
  /** The transformer forward on this graph, with the hook plan applied. */
  forward(inp: Omit<ForwardInputs, 'hookPlan'>): ForwardOutputs & { hooked: Record<string, T.Tensor> };
}

export class CausalLM {
  private readonly graphs = new Map<string, Promise<T.CompiledGraph>>();
  private int8: Map<string, Int8Weight> | null = null;

  constructor(
    readonly config: ModelConfig,
    /** config.json as read, written back unchanged on save. */
    readonly rawConfig: Record<string, unknown>,
    readonly params: T.ParamStore,
    readonly tokenizer: Tokenizer,
    readonly source: string,
  ) {
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new UserError(`${source}: the tokenizer has ${tokenizer.vocabSize} token ids but vocab_size is ${config.vocabSize}`);
    }
  }

  static load(dir: string, opts: { weights?: WeightFormat } = {}): CausalLM {
    const { config, params } = loadModelParams(dir);
    const rawConfig = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const lm = new CausalLM(config, rawConfig, params, Tokenizer.fromDir(dir), dir);
    lm.useWeights(opts.weights ?? 'fp32');
    return lm;
  }

  get weights(): WeightFormat {
    return this.int8 ? 'int8' : 'fp32';
  }

  /**
   * Switches the projection matrices of every graph traced from now on (attention, MLP, output
   * head; the embedding lookup and the norms stay fp32): 'int8' quantizes the current parameters
   * (block-wise, src/tensor/quant.ts) for inference. Later changes to the parameters are not seen
   * by int8 graphs, so a model being trained keeps fp32 (Trainable refuses an int8 model).
   */
  useWeights(format: WeightFormat): void {
    parseWeightFormat(format);
    if (format === this.weights) return;
    this.graphs.clear();
    if (format === 'fp32') {
      this.int8 = null;
      return;
    }
    const head = headWeightName(this.config);
    const quantized = this.params.specs.filter((s) => s.shape.length === 2 && (s.name.endsWith('_proj.weight') || s.name === head));
    this.int8 = new Map(quantized.map((s) => [s.name, quantizeInt8(this.params.view(s.name), s.shape[0], s.shape[1])]));
  }

  /** Writes a Hugging Face model directory (config, weights, tokenizer files), each file atomically. */
  save(dir: string, opts: { dtype?: FloatWriteDtype } = {}): void {
    const tensors = new Map<string, StoredTensor>(
      this.params.specs.map((s) => [s.name, { dtype: 'F32', shape: [...s.shape], data: this.params.view(s.name) }]),
    );
    saveCheckpoint(dir, tensors, { dtype: opts.dtype });
    for (const file of TOKENIZER_FILES) {
      const from = join(this.source, file);
      if (existsSync(from) && from !== join(dir, file)) writeFileAtomic(join(dir, file), readFileSync(from));
    }
    const torchDtype = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' }[opts.dtype ?? 'F32'];
    writeFileAtomic(join(dir, 'config.json'), JSON.stringify({ ...this.rawConfig, torch_dtype: torchDtype }, null, 2) + '\n');
  }

  get padId(): number {
    return this.tokenizer.padTokenId ?? this.tokenizer.eosTokenIds[0] ?? 0;
  }

  private feedsCache: Record<string, Float32Array> | null = null;

  /** Every parameter as a feed (views into the store, which never moves: built once, no copies). */
  paramFeeds(): Record<string, Float32Array> {
    this.feedsCache ??= Object.fromEntries(this.params.specs.map((s) => [s.name, this.params.view(s.name)]));
    return this.feedsCache;
  }

  /**
   * The compiled graph for `key` (which must determine the graph's structure: purpose, shapes, hook
   * plan), traced by `build` on first use. Every parameter is an input of every graph.
   */
  compiled(key: string, hooks: HookPlan | undefined, build: (io: GraphIO) => Record<string, T.Tensor>): Promise<T.CompiledGraph> {
    if (hooks) validateHookPlan(hooks, this.config.numLayers);
    const fullKey = `${key}|${hookPlanKey(hooks)}`;
    let pending = this.graphs.get(fullKey);
    if (!pending) {
      pending = this.trace(hooks, build);
      this.graphs.set(fullKey, pending);
      pending.catch(() => this.graphs.delete(fullKey));
    }
    return pending;
  }

  private async trace(hooks: HookPlan | undefined, build: (io: GraphIO) => Record<string, T.Tensor>): Promise<T.CompiledGraph> {
    const g = new T.Graph();
    const weights = new Map(this.params.specs.map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
    const extra = new Map<string, T.Tensor>();
    const io: GraphIO = {
      g,
      param: (name) => {
        const t = weights.get(name);
        if (!t) throw new UserError(`${this.source}: no parameter '${name}'`);
        return t;
      },
      input: (name, dtype, shape) => {
        let t = extra.get(name);
        if (!t) {
          t = g.input(name, dtype, shape);
          extra.set(name, t);
        }
        return t;
      },
      forward: (inp) => {
        const hooked: Record<string, T.Tensor> = {};
        const hook = compileHooks(hooks, io, hooked);
        const int8 = this.int8;
        const project: LinearFn | undefined = int8 ? (x, weight) => linearInt8(x, int8.get(weight) as Int8Weight) : undefined;
        return { ...traceTransformer(this.config, io.param, inp, hook, project), hooked };
      },
    };
    const outputs = build(io);
    return T.compile(g, outputs);
  }
}

/**
 * One forward pass over right-padded token rows with a hook plan: logits [B, T, V] and the cached
 * activations, each as a flat array in the activation's shape ([B, T, …]).
 */
export async function runWithHooks(
  lm: CausalLM,
  rows: ReadonlyArray<readonly number[]>,
  plan: HookPlan,
  hookFeeds: Record<string, Float32Array> = {},
): Promise<{ t: number; logits: Float32Array; activations: Record<string, Float32Array> }> {
  const b = rows.length;
  const t = Math.max(...rows.map((r) => r.length));
  const batch = rightPadded(rows, t, lm.padId);
  const graph = await lm.compiled(`hooked:${b}x${t}`, plan, (io) => {
    const out = io.forward({
      inputIds: io.input('input_ids', 'int64', [b, t]),
      positions: io.input('positions', 'int64', [b, t]),
      attnBias: io.input('attn_bias', 'float32', [b, 1, 1, t, t]),
    });
    return { logits: out.logits, ...Object.fromEntries(Object.entries(out.hooked).map(([k, v]) => [`act:${k}`, v])) };
  });
  const out = await graph.run({ ...lm.paramFeeds(), ...hookFeeds, input_ids: batch.ids, positions: batch.positions, attn_bias: batch.bias });
  const activations: Record<string, Float32Array> = {};
  for (const name of plan.cache ?? []) activations[name] = out[`act:${name}`] as Float32Array;
  return { t, logits: out.logits as Float32Array, activations };
}
