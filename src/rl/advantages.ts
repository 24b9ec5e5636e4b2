/**
 * Advantage estimators over groups of rollouts of the same prompt (../shared/DESIGN.md §5):
 * GRPO (group mean and std), Dr. GRPO (group mean only), RLOO (leave-one-out mean), optional
 * batch-level re-normalization, and ACE's modulation of negative advantages.
 */
import { UserError } from '../util/errors.ts';

export type AdvantageEstimator = 'grpo' | 'dr_grpo' | 'rloo';

/** Population standard deviation's ε, as in verl's GRPO (std + 1e-6). */
const STD_EPS = 1e-6;

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/**
 * Advantages for one group's rewards. GRPO divides by the group's *sample* standard deviation
 * (torch.std's default, unbiased, as verl's compute_grpo_outcome_advantage) plus 1e-6.
 */
export function groupAdvantages(rewards: readonly number[], estimator: AdvantageEstimator): number[] {
  const g = rewards.length;
  if (g === 0) return [];
  const m = mean(rewards);
  switch (estimator) {
    case 'grpo': {
      if (g < 2) throw new UserError('GRPO needs a group of at least 2 rollouts per prompt (rollout.n ≥ 2)');
      const std = Math.sqrt(rewards.reduce((s, r) => s + (r - m) ** 2, 0) / (g - 1));
      return rewards.map((r) => (r - m) / (std + STD_EPS));
    }
    case 'dr_grpo':
      return rewards.map((r) => r - m);
    case 'rloo': {
      if (g < 2) throw new UserError('RLOO needs a group of at least 2 rollouts per prompt (rollout.n ≥ 2)');
      const sum = rewards.reduce((s, r) => s + r, 0);
      return rewards.map((r) => r - (sum - r) / (g - 1));
    }
  }
}

/** Whitens advantages across the whole batch: (A − mean) / (std + ε) with the population std. */
export function normalizeBatch(advantages: readonly number[]): number[] {
  if (advantages.length < 2) return advantages.slice();
  const m = mean(advantages);
  const std = Math.sqrt(advantages.reduce((s, a) => s + (a - m) ** 2, 0) / advantages.length);
  return advantages.map((a) => (a - m) / (std + STD_EPS));
}

const softplus = (x: number) => (x > 30 ? x : Math.log1p(Math.exp(x)));

export interface AceConfig {
  alpha: number;
  /** How the confidence shift grows the penalty: softplus(c) (default) or max(c, 0) ("relu"). */
  fn: 'softplus' | 'relu';
}

/**
 * ACE (arXiv 2602.21420): scales negative advantages by 1 + α·f(c), where c = log π_θ(y|x) −
 * log π_ref(y|x) summed over the rollout's tokens, so over-confident errors are penalized more.
 * The published formula was not available to us; this is DESIGN.md's documented default.
 */
export function aceModulate(advantage: number, confidenceShift: number, cfg: AceConfig): number {
  if (advantage >= 0) return advantage;
  const f = cfg.fn === 'softplus' ? softplus(confidenceShift) : Math.max(confidenceShift, 0);
  return advantage * (1 + cfg.alpha * f);
}

/** DAPO dynamic sampling: a group whose rewards are all equal carries no GRPO signal. */
export function hasSignal(rewards: readonly number[]): boolean {
  return rewards.some((r) => r !== rewards[0]);
}
