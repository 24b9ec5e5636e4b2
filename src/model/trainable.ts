/**
 * The training primitive: a loss built from the differentiable per-token scores of (prompt,
 * completion) sequences, its gradients with respect to the trainable parameters, and AdamW steps
 * with clipping, a learning-rate schedule and gradient accumulation.
 */
import * as T from '../tensor/index.ts';
import { UserError } from '../util/errors.ts';
import { type CausalLM, rightPadded } from './causal-lm.ts';
import { shiftedTargets, traceTokenScores } from './score.ts';

const LENGTH_BUCKET = 16;

export interface SequenceBatch {
  promptIds: number[][];
  completionIds: number[][];
}

/** What a loss sees, all aligned to target positions [B, T] (position t scores token t+1). */
export interface LossContext {
  b: number;
  t: number;
  /** log π(token) of every target token, differentiable. */
  logprobs: T.Tensor;
  /** Entropy of the next-token distribution at every position (traced only if asked for). */
  entropy(): T.Tensor;
  /** 1 where the target is a completion token, else 0 (float32 [B, T]). */
  completionMask: T.Tensor;
  /** A float32 [B, T] input, fed per completion token (0 elsewhere), e.g. advantages or old logprobs. */
  tokenInput(name: string): T.Tensor;
  /** A float32 [B] input, one value per sequence. */
  rowInput(name: string): T.Tensor;
  /** A float32 scalar input, e.g. a normalizer shared by the micro-batches of one step. */
  scalarInput(name: string): T.Tensor;
}

export interface LossFn {
  /** Identifies the graph the loss builds (include every option that changes its structure). */
  key: string;
  build(ctx: LossContext): { loss: T.Tensor; metrics?: Record<string, T.Tensor> };
}

export interface LossInputs {
  /** Per completion token values for each `tokenInput` name: one array per sequence, one value per completion token. */
  token?: Record<string, number[][]>;
  row?: Record<string, number[]>;
  scalar?: Record<string, number>;
}

export interface TrainableOptions {
  optimizer?: Partial<T.AdamWConfig>;
  schedule: T.Schedule;
  /** Parameters excluded from training (no gradient is computed for them). */
  frozen?: (name: string) => boolean;
  /** AdamW helper threads (default: cores − 1, used from 2^20 trainable parameters). */
  optimizerHelpers?: number;
}

export class Trainable {
  readonly optimizer: T.AdamW;
  private readonly accumulator: T.GradAccumulator;
  private readonly trainable: string[];
  private readonly frozenKey: string;
  /** Cumulative wall time of optimizer updates, in ms (for overhead accounting). */
  optimizerMs = 0;
  /** The metric outputs of each compiled loss graph (known once the graph has been traced). */
  private readonly metricNames = new Map<string, string[]>();

  constructor(
    readonly lm: CausalLM,
    readonly options: TrainableOptions,
  ) {
    if (lm.weights !== 'fp32') throw new UserError(`${lm.source}: training needs fp32 weights (loaded with ${lm.weights} for inference)`);
    this.optimizer = new T.AdamW(lm.params, options.optimizer, { frozen: options.frozen, helpers: options.optimizerHelpers });
    this.accumulator = new T.GradAccumulator(lm.params);
    this.trainable = lm.params.specs.map((s) => s.name).filter((n) => !options.frozen?.(n));
    if (this.trainable.length === 0) throw new UserError('every parameter is frozen: nothing to train');
    this.frozenKey = this.trainable.length === lm.params.specs.length ? 'all' : this.trainable.join(',');
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.optimizer.stepCount;
  }

  get learningRate(): number {
    return T.learningRate(this.options.schedule, this.step);
  }

  /** Forward + backward of `loss` on one micro-batch; adds its gradients (times `weight`) to the accumulator. */
  async accumulate(batch: SequenceBatch, loss: LossFn, inputs: LossInputs = {}, weight = 1): Promise<{ loss: number; metrics: Record<string, number> }> {
    const b = batch.promptIds.length;
    if (b === 0 || batch.completionIds.length !== b) throw new UserError(`train batch: ${b} prompts and ${batch.completionIds.length} completions`);
    const rows = batch.promptIds.map((p, i) => {
      if (p.length === 0) throw new UserError(`train batch: prompt ${i} is empty`);
      return [...p, ...batch.completionIds[i]];
    });
    const t = Math.ceil(Math.max(...rows.map((r) => r.length)) / LENGTH_BUCKET) * LENGTH_BUCKET;
    const tokenNames = Object.keys(inputs.token ?? {}).sort();
    const rowNames = Object.keys(inputs.row ?? {}).sort();
    const scalarNames = Object.keys(inputs.scalar ?? {}).sort();
    const graphKey = `train:${loss.key}:${b}x${t}:${this.frozenKey}`;
    const graph = await this.lm.compiled(graphKey, undefined, (io) => {
      const scores = traceTokenScores(io, b, t);
      const ctx: LossContext = {
        b,
        t,
        logprobs: scores.logprobs,
        entropy: () => scores.entropy,
        completionMask: io.input('completion_mask', 'float32', [b, t]),
        tokenInput: (name) => io.input(`token:${name}`, 'float32', [b, t]),
        rowInput: (name) => io.input(`row:${name}`, 'float32', [b]),
        scalarInput: (name) => io.input(`scalar:${name}`, 'float32', []),
      };
      const built = loss.build(ctx);
      const metricNames = Object.keys(built.metrics ?? {});
      this.metricNames.set(graphKey, metricNames);
      const grads = T.grad(built.loss, this.trainable.map((n) => io.param(n)));
      return {
        loss: built.loss,
        ...Object.fromEntries(metricNames.map((m) => [`metric:${m}`, (built.metrics ?? {})[m]])),
        ...Object.fromEntries(this.trainable.map((n, i) => [`grad:${n}`, grads[i]])),
      };
    });
    const padded = rightPadded(rows, t, this.lm.padId);
    const mask = new Float32Array(b * t);
    const feeds: T.Feeds = {
      ...this.lm.paramFeeds(),
      input_ids: padded.ids,
      positions: padded.positions,
      attn_bias: padded.bias,
      targets: shiftedTargets(padded.ids, b, t, this.lm.padId),
      completion_mask: mask,
    };
    batch.promptIds.forEach((p, i) => mask.fill(1, i * t + p.length - 1, i * t + p.length - 1 + batch.completionIds[i].length));
    for (const name of tokenNames) {
      const values = (inputs.token ?? {})[name];
      const arr = new Float32Array(b * t);
      batch.promptIds.forEach((p, i) => {
        const v = values[i];
        if (!v || v.length !== batch.completionIds[i].length) {
          throw new UserError(`loss input '${name}': sequence ${i} needs ${batch.completionIds[i].length} values, got ${v?.length ?? 0}`);
        }
        arr.set(v, i * t + p.length - 1);
      });
      feeds[`token:${name}`] = arr;
    }
    for (const name of rowNames) feeds[`row:${name}`] = Float32Array.from((inputs.row ?? {})[name]);
    for (const name of scalarNames) feeds[`scalar:${name}`] = Float32Array.of((inputs.scalar ?? {})[name]);
    // gradients are written by ONNX Runtime straight into the accumulator (no per-step copies)
    const target = this.accumulator.target(this.trainable);
    const out = await graph.run(feeds, Object.fromEntries(this.trainable.map((n) => [`grad:${n}`, target[n]])));
    const metricNames = this.metricNames.get(graphKey) ?? [];
    this.accumulator.commit(this.trainable, weight);
    return {
      loss: (out.loss as Float32Array)[0],
      metrics: Object.fromEntries(metricNames.map((m) => [m, (out[`metric:${m}`] as Float32Array)[0]])),
    };
  }

  /**
   * The gradients accumulated since the last step, summed (the accumulator's own buffer, valid
   * until the next micro-batch), without a step: for a helper that computes gradients for another
   * trainer to apply. The next micro-batch starts afresh.
   */
  takeGradients(): Float32Array {
    return this.accumulator.sum();
  }

  /** Adds a gradient computed elsewhere (the parameter store's layout) as one more micro-batch, times `weight`. */
  addGradients(flat: Float32Array, weight = 1): void {
    if (flat.length !== this.lm.params.data.length) throw new Error(`gradient of ${flat.length} values for ${this.lm.params.data.length} parameters`);
    const p = this.lm.params;
    this.accumulator.add(Object.fromEntries(this.trainable.map((n) => [n, flat.subarray(p.offset(n), p.offset(n) + p.view(n).length)])), weight);
  }

  /** Stops the optimizer's helper threads (training can go on, single-threaded). */
  close(): void {
    this.optimizer.close();
  }

  /** One optimizer step on the summed accumulated gradients (losses carry their own normalization). */
  applyStep(): { gradNorm: number; lr: number } {
    if (this.accumulator.count === 0) throw new UserError('optimizer step with no accumulated gradients');
    const lr = this.learningRate;
    const started = performance.now();
    const { gradNorm } = this.optimizer.step(this.accumulator.sum(), lr);
    this.optimizerMs += performance.now() - started;
    return { gradNorm, lr };
  }
}
