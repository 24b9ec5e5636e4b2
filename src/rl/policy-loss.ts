/**
 * The clipped policy-gradient loss of GRPO and its descendants, traced on the engine
 * (../shared/DESIGN.md §5): ratio clipping with (ε_low, ε_high) (clip-higher), optional dual
 * clip, KL to a reference by the k1/k2/k3 estimators, entropy bonus, and three loss aggregations.
 *
 * All per-token tensors are [B, T] and aligned to target positions; `mask` is 1 on completion
 * tokens. Normalizers are scalar inputs shared by the micro-batches of one optimizer step, so the
 * micro-batch losses sum to the mini-batch loss.
 */
import * as T from '../tensor/index.ts';
import type { LossContext, LossFn } from '../model/trainable.ts';

export type Aggregation = 'seq-mean-token-mean' | 'token-mean' | 'seq-mean-token-sum-norm';
export type KlEstimator = 'k1' | 'k2' | 'k3';

export interface PolicyLossConfig {
  /** false turns ratio clipping off (the plain importance-weighted policy gradient). */
  clip: boolean;
  clipLow: number;
  clipHigh: number;
  /** Dual-clip constant c > 1 bounding the loss of negative-advantage tokens, or null. */
  dualClip: number | null;
  klCoef: number;
  klEstimator: KlEstimator;
  entropyCoef: number;
  aggregation: Aggregation;
}

export interface PolicyLossTensors {
  logprobs: T.Tensor;
  mask: T.Tensor;
  advantages: T.Tensor;
  oldLogprobs: T.Tensor;
  refLogprobs: T.Tensor | null;
  entropy: T.Tensor | null;
  /** Sequences in the optimizer step's mini-batch. */
  numSeqs: T.Tensor;
  /** Completion tokens in the mini-batch. */
  numTokens: T.Tensor;
  /** Dr. GRPO's constant (e.g. the maximum generation length). */
  normConstant: T.Tensor;
}

/** Per-token KL(π_θ ‖ π_ref) estimate from log π_θ and log π_ref. */
export function klEstimate(logprobs: T.Tensor, refLogprobs: T.Tensor, estimator: KlEstimator): T.Tensor {
  const logRatio = T.sub(logprobs, refLogprobs); // log π_θ/π_ref
  switch (estimator) {
    case 'k1':
      return logRatio;
    case 'k2':
      return T.mul(T.mul(logRatio, logRatio), 0.5);
    case 'k3': {
      const r = T.neg(logRatio); // log π_ref/π_θ
      return T.sub(T.sub(T.exp(r), r), 1);
    }
  }
}

function aggregate(perToken: T.Tensor, t: PolicyLossTensors, mode: Aggregation): T.Tensor {
  const masked = T.mul(perToken, t.mask);
  switch (mode) {
    case 'token-mean':
      return T.div(T.reduceSum(masked), t.numTokens);
    case 'seq-mean-token-mean': {
      const perSeqTokens = T.maximum(T.reduceSum(t.mask, [1]), 1);
      return T.div(T.reduceSum(T.div(T.reduceSum(masked, [1]), perSeqTokens)), t.numSeqs);
    }
    case 'seq-mean-token-sum-norm':
      return T.div(T.div(T.reduceSum(masked), t.normConstant), t.numSeqs);
  }
}

/** The loss and its diagnostics (token sums over this micro-batch's completion tokens). */
export function policyLossTerms(t: PolicyLossTensors, cfg: PolicyLossConfig): { loss: T.Tensor; metrics: Record<string, T.Tensor> } {
  const ratio = T.exp(T.sub(t.logprobs, t.oldLogprobs));
  const a = t.advantages;
  const unclipped = T.neg(T.mul(a, ratio));
  let pg = unclipped;
  const metrics: Record<string, T.Tensor> = {};
  if (cfg.clip) {
    const clipped = T.neg(T.mul(a, T.clip(ratio, 1 - cfg.clipLow, 1 + cfg.clipHigh)));
    pg = T.maximum(unclipped, clipped);
    const positive = T.greater(a, 0);
    const negative = T.less(a, 0);
    const asFloat = (b: T.Tensor) => T.mul(T.cast(b, 'float32'), t.mask);
    // the clipped branch binds: ratio above 1+ε_high on a positive advantage, below 1−ε_low on a negative one
    metrics.clip_high_tokens = T.reduceSum(asFloat(T.logicalAnd(positive, T.greater(ratio, 1 + cfg.clipHigh))));
    metrics.clip_low_tokens = T.reduceSum(asFloat(T.logicalAnd(negative, T.less(ratio, 1 - cfg.clipLow))));
    if (cfg.dualClip !== null) {
      const bounded = T.minimum(pg, T.mul(T.neg(a), cfg.dualClip));
      metrics.dual_clip_tokens = T.reduceSum(asFloat(T.logicalAnd(negative, T.greater(pg, T.mul(T.neg(a), cfg.dualClip)))));
      pg = T.where(negative, bounded, pg);
    }
  }
  let loss = aggregate(pg, t, cfg.aggregation);
  metrics.pg_loss = loss;
  metrics.ratio_sum = T.reduceSum(T.mul(ratio, t.mask));
  if (t.refLogprobs) {
    const kl = klEstimate(t.logprobs, t.refLogprobs, cfg.klEstimator);
    metrics.kl_sum = T.reduceSum(T.mul(kl, t.mask));
    if (cfg.klCoef > 0) loss = T.add(loss, T.mul(aggregate(kl, t, cfg.aggregation), cfg.klCoef));
  }
  if (t.entropy) {
    metrics.entropy_sum = T.reduceSum(T.mul(T.stopGradient(t.entropy), t.mask));
    if (cfg.entropyCoef > 0) loss = T.sub(loss, T.mul(aggregate(t.entropy, t, cfg.aggregation), cfg.entropyCoef));
  }
  metrics.tokens = T.reduceSum(t.mask);
  return { loss, metrics };
}

/** The loss as the training primitive's `LossFn`; inputs: token `advantages`, `old_logprobs`, [`ref_logprobs`]; scalars `num_seqs`, `num_tokens`, `norm_constant`. */
export function policyLoss(cfg: PolicyLossConfig, opts: { withRef: boolean; withEntropy: boolean }): LossFn {
  return {
    key: `pg:${JSON.stringify(cfg)}:${opts.withRef}:${opts.withEntropy}`,
    build: (ctx: LossContext) =>
      policyLossTerms(
        {
          logprobs: ctx.logprobs,
          mask: ctx.completionMask,
          advantages: ctx.tokenInput('advantages'),
          oldLogprobs: ctx.tokenInput('old_logprobs'),
          refLogprobs: opts.withRef ? ctx.tokenInput('ref_logprobs') : null,
          entropy: opts.withEntropy ? ctx.entropy() : null,
          numSeqs: ctx.scalarInput('num_seqs'),
          numTokens: ctx.scalarInput('num_tokens'),
          normConstant: ctx.scalarInput('norm_constant'),
        },
        cfg,
      ),
  };
}
