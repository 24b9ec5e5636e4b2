/**
 * Supervised fine-tuning: cross-entropy on completion tokens only (the prompt is context, not a
 * target), padded batches, the same optimizer, schedules, checkpoints and resume as GRPO. The
 * completion ends with the tokenizer's EOS so the model learns to stop.
 */
import * as T from '../tensor/index.ts';
import type { LossFn } from '../model/trainable.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { lastStep, type RunOptions, type TrainingSession } from './session.ts';

/** Summed NLL of completion tokens divided by a normalizer shared by the step's micro-batches (token mean over the step). */
export const sftLoss: LossFn = {
  key: 'sft-nll',
  build: ({ logprobs, completionMask, scalarInput }) => {
    const tokens = T.reduceSum(completionMask);
    const nllSum = T.neg(T.reduceSum(T.mul(logprobs, completionMask)));
    return { loss: T.div(nllSum, scalarInput('num_tokens')), metrics: { nll_sum: nllSum, tokens } };
  },
};

function completionOf(item: { id: string; meta: Record<string, unknown> }): string {
  const c = item.meta.completion ?? item.meta.solution;
  if (typeof c !== 'string') throw new UserError(`SFT item ${item.id} has no completion (give data.train.completion_field, or a generator)`);
  return c;
}

export async function runSft(session: TrainingSession, opts: RunOptions = {}): Promise<void> {
  const { cfg, lm, trainable, state } = session;
  const eos = lm.tokenizer.eosTokenIds[0];
  const bar = opts.quiet ? null : progress('sft', lastStep(cfg.train.steps, opts) - state.step);
  for (let step = state.step + 1; step <= lastStep(cfg.train.steps, opts); step++) {
    const t0 = performance.now();
    const items = session.nextItems(cfg.train.batch_size);
    const promptIds = items.map((it) => lm.tokenizer.encode(session.prompt(it)));
    const completionIds = items.map((it) => {
      const ids = lm.tokenizer.encode(completionOf(it), { addSpecialTokens: false });
      return eos === undefined ? ids : [...ids, eos];
    });
    const numTokens = completionIds.reduce((s, c) => s + c.length, 0);
    let nll = 0;
    for (let start = 0; start < items.length; start += cfg.train.micro_batch_size) {
      const end = start + cfg.train.micro_batch_size;
      const out = await trainable.accumulate({ promptIds: promptIds.slice(start, end), completionIds: completionIds.slice(start, end) }, sftLoss, {
        scalar: { num_tokens: numTokens },
      });
      nll += out.metrics.nll_sum;
    }
    const lr = trainable.learningRate;
    const { gradNorm } = trainable.applyStep();
    state.step = step;
    const seconds = (performance.now() - t0) / 1000;
    const row: Record<string, unknown> = {
      step,
      loss: nll / numTokens,
      grad_norm: gradNorm,
      lr,
      tokens_per_s: (numTokens + promptIds.reduce((s, p) => s + p.length, 0)) / seconds,
      completion_tokens: numTokens,
    };
    if (session.isDue(cfg.validation.every)) row.val_accuracy = await session.validate(cfg.validation.max_new_tokens ?? cfg.rollout.max_new_tokens);
    session.run.appendMetrics(row);
    if (session.isDue(cfg.checkpoint.every) || step === lastStep(cfg.train.steps, opts)) session.checkpoint();
    bar?.tick(1, { loss: row.loss as number, ...(row.val_accuracy !== undefined ? { val: row.val_accuracy as number } : {}) });
  }
  bar?.stop();
}
