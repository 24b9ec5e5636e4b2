import { z } from 'zod';
import type { Reward } from '../rewards/types.ts';
import { UserError } from '../util/errors.ts';
import { gradeSet, setReward } from './grade.ts';
import { parseSpec } from './tasks.ts';

export const explorationRewardSchema = z.strictObject({
  /** exact: 1 only for the complete set with nothing wrong or repeated; f1: harmonic mean of precision and completeness. */
  mode: z.enum(['exact', 'f1']).default('exact'),
});

/** The answer-level reward of the systematic-exploration tasks; the gold answer is the task spec. */
export function explorationReward(config: z.infer<typeof explorationRewardSchema>): Reward {
  return {
    name: 'exploration',
    needs: [],
    async score(group) {
      const spec = parseSpec(group.gold ?? '');
      if (!spec) throw new UserError(`reward 'exploration': the gold answer is not an exploration task spec (generate data with rlvr gen-data permutations|subsets|grid-path), got ${JSON.stringify(group.gold)}`);
      return group.responses.map((r) => {
        const g = gradeSet(spec, r);
        return { score: setReward(g, config.mode), info: { found: g.found, total: g.total, invalid: g.invalid, duplicates: g.duplicates } };
      });
    },
  };
}
