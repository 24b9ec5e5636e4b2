/**
 * The reward variants of the spurious-reward suite (arXiv 2506.10947): one training config, its
 * reward list replaced, everything else (seed, data, budget, algorithm) kept.
 */
import { parseTrainConfig, type TrainConfig } from '../rl/config.ts';
import type { RewardSpec } from '../rewards/index.ts';
import { UserError } from '../util/errors.ts';

export const VARIANTS = ['ground_truth', 'random', 'incorrect_label', 'format', 'contains', 'inverted'] as const;
export type Variant = (typeof VARIANTS)[number];
export const DEFAULT_VARIANTS: readonly Variant[] = ['ground_truth', 'random', 'incorrect_label', 'format'];

/** The item metadata field holding the wrong label (see incorrect-label.ts). */
export const INCORRECT_LABEL_FIELD = 'incorrect_label';

export function parseVariants(text: string): Variant[] {
  const names = text.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(VARIANTS as readonly string[]).includes(name)) throw new UserError(`--rewards: unknown variant '${name}'; known: ${VARIANTS.join(', ')}`);
  }
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UserError(`--rewards lists '${twice}' twice`);
  return names as Variant[];
}

/**
 * The extractor setting shared by the answer-checking variants: the base config's `accuracy`
 * reward's, when it has one, else the config's `data.extractors` preset.
 */
function extractorsOf(base: TrainConfig): unknown {
  const accuracy = base.rewards?.find((r) => r.name === 'accuracy');
  return accuracy?.config.extractors ?? base.data.extractors;
}

/**
 * 1 − the verifiable reward: of `continuous_numeric` when the base config trains on that (and not
 * on `accuracy`), else of `accuracy` (a wrong or missing answer scores 1).
 */
function invertedReward(base: TrainConfig, extractors: unknown): RewardSpec[number] {
  const numeric = base.rewards?.find((r) => r.name === 'continuous_numeric');
  const hasAccuracy = base.rewards?.some((r) => r.name === 'accuracy') ?? false;
  if (numeric && !hasAccuracy) return { name: 'inverted', weight: 1, config: { ...numeric.config, extractors: numeric.config?.extractors ?? extractors, of: 'continuous_numeric' } };
  return { name: 'inverted', weight: 1, config: { ...base.rewards?.find((r) => r.name === 'accuracy')?.config, extractors, of: 'accuracy' } };
}

export function variantRewards(base: TrainConfig, variant: Variant): RewardSpec {
  const extractors = extractorsOf(base);
  switch (variant) {
    case 'ground_truth':
      return [{ name: 'accuracy', weight: 1, config: { ...base.rewards?.find((r) => r.name === 'accuracy')?.config, extractors } }];
    case 'random':
      return [{ name: 'random', weight: 1, config: { gamma: 0.5, seed: base.seed } }];
    case 'incorrect_label':
      return [{ name: 'incorrect_label', weight: 1, config: { extractors, field: INCORRECT_LABEL_FIELD } }];
    case 'format':
      return base.data.template === 'r1-zero' ? [{ name: 'format', weight: 1, config: {} }] : [{ name: 'boxed_format', weight: 1, config: {} }];
    case 'contains':
      return [{ name: 'contains', weight: 1, config: { text: 'python' } }];
    case 'inverted':
      return [invertedReward(base, extractors)];
  }
}

/** The base config with the variant's rewards (validated again); nothing else changes. */
export function variantConfig(base: TrainConfig, variant: Variant, source: string): TrainConfig {
  return parseTrainConfig({ ...base, rewards: variantRewards(base, variant) }, `${source} (variant ${variant})`);
}
