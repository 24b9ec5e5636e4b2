import { z } from 'zod';
import { accuracy, accuracySchema } from './answer.ts';
import { continuousNumeric, continuousNumericSchema } from './numeric.ts';
import type { Reward, RewardContext } from './types.ts';

/**
 * The complement of a verifiable reward (the RandomCalculation study's inverted control):
 * 1 − r of `accuracy` (a wrong or missing answer scores 1, a right one 0) or of
 * `continuous_numeric`. Trained on, it must lower accuracy; a suite where it does not is suspect.
 */
export const invertedSchema = z.discriminatedUnion('of', [
  accuracySchema.extend({ of: z.literal('accuracy') }),
  continuousNumericSchema.extend({ of: z.literal('continuous_numeric') }),
]);

export function inverted(config: z.infer<typeof invertedSchema>, ctx: RewardContext): Reward {
  const { of, ...inner } = config;
  const base = of === 'accuracy' ? accuracy(inner as z.infer<typeof accuracySchema>, ctx) : continuousNumeric(inner as z.infer<typeof continuousNumericSchema>);
  return {
    name: 'inverted',
    needs: base.needs,
    async score(group) {
      return (await base.score(group)).map((r) => ({ score: 1 - r.score, info: { ...r.info, of, base_score: r.score } }));
    },
  };
}
