/**
 * Pretraining from scratch: next-token NLL over whole documents (every token after the first,
 * EOS included), AdamW with linear warmup and cosine decay. Each document is its own row; rows
 * are grouped by length bucket so padding stays small and only a few graphs are compiled.
 * Every random choice comes from one seeded stream, so a build is a pure function of its seed.
 * With `shards` > 1 each step's batch is cut into that many micro-batches, computed on as many
 * threads (shard-pool.ts) and summed in order, weighted by their share of the batch's tokens.
 */
import type { CausalLM } from '../model/causal-lm.ts';
import { type LossFn, type SequenceBatch, Trainable } from '../model/trainable.ts';
import * as T from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';
import { ShardPool } from './shard-pool.ts';

export interface TrainConfig {
  steps: number;
  /** Documents per step. */
  batchSize: number;
  lr: number;
  warmupSteps: number;
  /** The cosine decays to lr × minLrRatio. */
  minLrRatio: number;
  weightDecay: number;
  beta2: number;
  maxGradNorm: number;
  /** Micro-batches per step, each computed on its own thread (default 1: the whole batch on the calling thread). */
  shards?: number;
}

export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  tokens: number;
}

/** Mean NLL over the scored tokens of the batch. */
export const tokenMeanNll: LossFn = {
  key: 'organism-nll',
  build: ({ logprobs, completionMask }) => ({
    loss: T.div(T.neg(T.reduceSum(T.mul(logprobs, completionMask))), T.reduceSum(completionMask)),
  }),
};

const LENGTH_BUCKET = 16;

/**
 * Endless batches of document indices: each epoch shuffles the documents, cuts each length bucket
 * into full batches (a bucket's last partial batch is left out of that epoch) and shuffles the batches.
 */
export function* lengthBucketedBatches(lengths: readonly number[], batchSize: number, rng: Rng): Generator<number[]> {
  for (;;) {
    const order = lengths.map((_, i) => i);
    rng.shuffle(order);
    const buckets = new Map<number, number[]>();
    for (const i of order) {
      const key = Math.ceil(lengths[i] / LENGTH_BUCKET);
      const bucket = buckets.get(key) ?? [];
      bucket.push(i);
      buckets.set(key, bucket);
    }
    const batches: number[][] = [];
    for (const key of [...buckets.keys()].sort((a, b) => a - b)) {
      const bucket = buckets.get(key) ?? [];
      for (let s = 0; s + batchSize <= bucket.length; s += batchSize) batches.push(bucket.slice(s, s + batchSize));
    }
    if (batches.length === 0) throw new Error(`no length bucket holds ${batchSize} documents`);
    rng.shuffle(batches);
    yield* batches;
  }
}

/** Whole documents as a training batch: the first token is the prompt, every later one is scored. */
export function documentBatch(rows: ReadonlyArray<readonly number[]>): SequenceBatch {
  return { promptIds: rows.map((d) => d.slice(0, 1)), completionIds: rows.map((d) => d.slice(1)) };
}

/** `rows` cut into `shards` consecutive micro-batches, as even as possible (the first ones get the extra rows). */
export function microBatches<R>(rows: readonly R[], shards: number): R[][] {
  const out: R[][] = [];
  let start = 0;
  for (let k = 0; k < shards; k++) {
    const size = Math.floor(rows.length / shards) + (k < rows.length % shards ? 1 : 0);
    out.push(rows.slice(start, start + size));
    start += size;
  }
  return out;
}

export interface PretrainOptions {
  /** Compute the micro-batches one after another on the calling thread instead of on shard threads (the same numbers, slower). */
  inline?: boolean;
}

/** Trains `lm` in place on tokenized documents; `onStep` sees every step's loss. */
export async function pretrain(
  lm: CausalLM,
  documents: ReadonlyArray<readonly number[]>,
  cfg: TrainConfig,
  seed: number,
  onStep: (s: StepInfo) => void,
  opts: PretrainOptions = {},
): Promise<void> {
  const shards = cfg.shards ?? 1;
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > cfg.batchSize) throw new Error(`shards must be an integer in 1..${cfg.batchSize}, got ${shards}`);
  const trainer = new Trainable(lm, {
    schedule: { kind: 'cosine', lr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps, minLrRatio: cfg.minLrRatio },
    optimizer: { weightDecay: cfg.weightDecay, maxGradNorm: cfg.maxGradNorm, beta2: cfg.beta2 },
  });
  const batches = lengthBucketedBatches(
    documents.map((d) => d.length),
    cfg.batchSize,
    new Rng(seed),
  );
  const pool = shards > 1 && !opts.inline ? new ShardPool({ modelDir: lm.source }, shards - 1) : null;
  try {
    for (let step = 0; step < cfg.steps; step++) {
      const rows = (batches.next().value as number[]).map((i) => documents[i]);
      const parts = microBatches(rows, shards);
      const scored = parts.map((p) => p.reduce((n, d) => n + d.length - 1, 0));
      const total = scored.reduce((a, b) => a + b, 0);
      const weights = scored.map((n) => n / total);
      const helped = pool?.start(lm.params.data, parts.slice(1));
      let loss = 0;
      for (let k = 0; k < shards; k++) {
        if (k === 0 || !helped) {
          // one shard: weight n / n = 1 exactly, so v2–v11 builds are unchanged bit for bit
          const part = await trainer.accumulate(documentBatch(parts[k]), tokenMeanNll, {}, weights[k]);
          loss += weights[k] * part.loss;
        } else {
          const part = await helped[k - 1];
          trainer.addGradients(part.grad, weights[k]);
          loss += weights[k] * part.loss;
        }
      }
      const { lr } = trainer.applyStep();
      onStep({ step, loss, lr, tokens: rows.reduce((n, d) => n + d.length, 0) });
    }
  } finally {
    await pool?.close();
  }
}
