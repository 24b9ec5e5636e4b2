/**
 * Pretraining from scratch: next-token NLL over whole documents (every token after the first,
 * EOS included), AdamW with linear warmup and cosine decay. Each document is its own row; rows
 * are grouped by length bucket so padding stays small and only a few graphs are compiled.
 * Every random choice comes from one seeded stream, so a build is a pure function of its seed.
 */
import type { CausalLM } from '../model/causal-lm.ts';
import { type LossFn, Trainable } from '../model/trainable.ts';
import * as T from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';

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
}

export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  tokens: number;
}

/** Mean NLL over the scored tokens of the batch. */
const tokenMeanNll: LossFn = {
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

/** Trains `lm` in place on tokenized documents; `onStep` sees every step's loss. */
export async function pretrain(lm: CausalLM, documents: ReadonlyArray<readonly number[]>, cfg: TrainConfig, seed: number, onStep: (s: StepInfo) => void): Promise<void> {
  const trainer = new Trainable(lm, {
    schedule: { kind: 'cosine', lr: cfg.lr, warmupSteps: cfg.warmupSteps, totalSteps: cfg.steps, minLrRatio: cfg.minLrRatio },
    optimizer: { weightDecay: cfg.weightDecay, maxGradNorm: cfg.maxGradNorm, beta2: cfg.beta2 },
  });
  const batches = lengthBucketedBatches(
    documents.map((d) => d.length),
    cfg.batchSize,
    new Rng(seed),
  );
  for (let step = 0; step < cfg.steps; step++) {
    const rows = batches.next().value as number[];
    const batch = {
      promptIds: rows.map((i) => documents[i].slice(0, 1)),
      completionIds: rows.map((i) => documents[i].slice(1)),
    };
    const { loss } = await trainer.accumulate(batch, tokenMeanNll);
    const { lr } = trainer.applyStep();
    onStep({ step, loss, lr, tokens: rows.reduce((n, i) => n + documents[i].length, 0) });
  }
}
