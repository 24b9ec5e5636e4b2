import { z } from 'zod';
import { explorationReward, explorationRewardSchema } from '../exploration/reward.ts';
import { UserError } from '../util/errors.ts';
import { accuracy, accuracySchema, incorrectLabel, incorrectLabelSchema, majorityVote, majorityVoteSchema } from './answer.ts';
import { parseConfig } from './errors.ts';
import { inverted, invertedSchema } from './inverted.ts';
import { continuousNumeric, continuousNumericSchema } from './numeric.ts';
import { overlong, overlongSchema } from './overlong.ts';
import { random, randomSchema } from './random.ts';
import { selfCertainty, selfCertaintySchema } from './self_certainty.ts';
import { boxedFormat, boxedFormatSchema, contains, containsSchema, format, formatSchema, languageConsistency, languageConsistencySchema } from './text.ts';
import type { Capability, Reward, RewardContext, RewardGroup, RewardResult } from './types.ts';

interface Definition<C> {
  schema: z.ZodType<C>;
  create(config: C, ctx: RewardContext): Reward;
}

const define = <C>(schema: z.ZodType<C>, create: (config: C, ctx: RewardContext) => Reward): Definition<unknown> =>
  ({ schema, create }) as Definition<unknown>;

const REWARDS: Record<string, Definition<unknown>> = {
  accuracy: define(accuracySchema, accuracy),
  format: define(formatSchema, format),
  boxed_format: define(boxedFormatSchema, boxedFormat),
  language_consistency: define(languageConsistencySchema, languageConsistency),
  continuous_numeric: define(continuousNumericSchema, continuousNumeric),
  overlong: define(overlongSchema, overlong),
  random: define(randomSchema, random),
  incorrect_label: define(incorrectLabelSchema, incorrectLabel),
  inverted: define(invertedSchema, inverted),
  contains: define(containsSchema, contains),
  majority_vote: define(majorityVoteSchema, majorityVote),
  self_certainty: define(selfCertaintySchema, selfCertainty),
  exploration: define(explorationRewardSchema, explorationReward),
};

export const REWARD_NAMES = Object.keys(REWARDS);

/** A reward by name with its config validated; unknown names and bad fields are UserErrors. */
export function createReward(name: string, config: unknown, ctx: RewardContext): Reward {
  const def = REWARDS[name];
  if (!def) throw new UserError(`unknown reward '${name}'; available: ${REWARD_NAMES.join(', ')}`);
  return def.create(parseConfig(name, def.schema, config), ctx);
}

export const rewardSpecSchema = z.array(
  z.strictObject({
    name: z.string(),
    weight: z.number().finite().default(1),
    config: z.record(z.string(), z.unknown()).default({}),
  }),
).min(1);

export type RewardSpec = z.input<typeof rewardSpecSchema>;

export interface ComposedResult extends RewardResult {
  /** Each component's unweighted score. */
  components: Record<string, number>;
}

export interface ComposedReward {
  readonly needs: readonly Capability[];
  score(group: RewardGroup): Promise<ComposedResult[]>;
}

/** Weighted sum of named rewards; a name may appear once. */
export function composeRewards(spec: RewardSpec, ctx: RewardContext): ComposedReward {
  const parsed = parseConfig('composition', rewardSpecSchema, spec);
  const seen = new Set<string>();
  const parts = parsed.map((s) => {
    if (seen.has(s.name)) throw new UserError(`reward '${s.name}' appears twice in the composition`);
    seen.add(s.name);
    return { weight: s.weight, reward: createReward(s.name, s.config, ctx) };
  });
  return {
    needs: [...new Set(parts.flatMap((p) => p.reward.needs))],
    async score(group) {
      const all = await Promise.all(parts.map((p) => p.reward.score(group)));
      return group.responses.map((_, i) => {
        const components: Record<string, number> = {};
        const info: Record<string, unknown> = {};
        let score = 0;
        for (const [k, p] of parts.entries()) {
          const r = all[k][i];
          components[p.reward.name] = r.score;
          info[p.reward.name] = r.info;
          score += p.weight * r.score;
        }
        return { score, components, info };
      });
    },
  };
}
