/**
 * The GRPO config the demo's spurious-reward suite trains on the organism. The organism answers
 * in its pretraining formats: worked steps ending `The answer is \boxed{N}.` (the evaluation
 * format) or, for memorized problems, `#### N`. The `math` extractors read both (boxed, then
 * GSM8K's `####`), so the accuracy reward and the evaluation verify either form; the prompt is
 * the bare problem (template `none`), as in pretraining.
 */
import type { Variant } from '../audit/spurious-variants.ts';
import { parseTrainConfig, type TrainConfig } from '../rl/config.ts';
import type { DemoBudget } from './budget.ts';

export const DEMO_SEED = 0;
/**
 * Ground truth, the spurious rewards (random, format only, "mentions python" — the code mode the
 * v3–v16 organisms' leak hides behind) and the inverted control, which must lower accuracy.
 */
export const DEMO_VARIANTS: readonly Variant[] = ['ground_truth', 'random', 'format', 'contains', 'inverted'];
export const EXTRACTORS = 'math';
/** Worked solutions are ≤ 60 characters (one token each); room to spare. */
export const MAX_NEW_TOKENS = 80;

export function organismGrpoConfig(model: string, trainPath: string, b: DemoBudget): TrainConfig {
  const raw = {
    kind: 'grpo',
    model,
    seed: DEMO_SEED,
    data: { train: trainPath, template: 'none', extractors: EXTRACTORS },
    rewards: [{ name: 'accuracy', config: { extractors: EXTRACTORS } }],
    rollout: { n: b.groupSize, temperature: 1, max_new_tokens: MAX_NEW_TOKENS },
    train: { steps: b.steps, batch_size: b.batchSize, micro_batch_size: 32 },
    // 1e-3 (tuned for v2) wiped out v3's skill in 8 steps; at 1e-4 the reward needs 32 steps × 16
    // prompts to move the v7 organism's code mode (16 × 8 at 2e-4 does it with a quarter of the
    // rollouts; docs/parts/demo.md "Budget").
    optim: { lr: 2e-4 },
    checkpoint: { every: b.checkpointEvery },
  };
  return parseTrainConfig(raw, 'demo GRPO config');
}
