import { z } from 'zod';
import { EXTRACTION_PRESETS, EXTRACTORS, extractAnswer, type Extractor } from '../verify/extract.ts';
import { missingInput } from './errors.ts';
import type { Reward, RewardContext, RewardGroup, RewardResult } from './types.ts';

/** `extractors` is a preset name ("math", "gsm8k", "r1", ...) or an explicit ordered list. */
export const extractorsSchema = z
  .union([z.enum(Object.keys(EXTRACTION_PRESETS) as [string, ...string[]]), z.array(z.enum(EXTRACTORS as [Extractor, ...Extractor[]])).min(1)])
  .default('math')
  .transform((v): readonly Extractor[] => (typeof v === 'string' ? EXTRACTION_PRESETS[v] : v));

export const accuracySchema = z.strictObject({
  extractors: extractorsSchema,
  relTol: z.number().positive().max(1).optional(),
});

/** 1 when the response's answer verifies equal to the reference, else 0. */
export function accuracy(config: z.infer<typeof accuracySchema>, ctx: RewardContext): Reward {
  return {
    name: 'accuracy',
    needs: [],
    async score(group: RewardGroup) {
      const gold = group.gold;
      if (gold === undefined) throw missingInput('accuracy', 'a gold answer');
      return Promise.all(
        group.responses.map(async (r): Promise<RewardResult> => {
          const v = await ctx.verify(gold, r, { extractors: config.extractors, ...(config.relTol ? { relTol: config.relTol } : {}) });
          return { score: v.correct ? 1 : 0, info: { extracted: v.extracted, reason: v.reason } };
        }),
      );
    },
  };
}

export const incorrectLabelSchema = z.strictObject({
  extractors: extractorsSchema,
  /** A fixed wrong label, or else the metadata field that holds one per prompt. */
  label: z.string().min(1).optional(),
  field: z.string().min(1).default('incorrect_label'),
});

/** Spurious control: 1 when the answer matches a deliberately wrong label. */
export function incorrectLabel(config: z.infer<typeof incorrectLabelSchema>, ctx: RewardContext): Reward {
  return {
    name: 'incorrect_label',
    needs: [],
    async score(group) {
      const label = config.label ?? group.metadata?.[config.field];
      if (typeof label !== 'string' && typeof label !== 'number') throw missingInput('incorrect_label', `metadata.${config.field}`);
      return Promise.all(
        group.responses.map(async (r) => {
          const v = await ctx.verify(String(label), r, { extractors: config.extractors });
          return { score: v.correct ? 1 : 0, info: { label: String(label), extracted: v.extracted, reason: v.reason } };
        }),
      );
    },
  };
}

export const majorityVoteSchema = z.strictObject({ extractors: extractorsSchema });

/**
 * Label-free reward (TTRL-style): the label is the most common answer in the group, with
 * equivalent answers (1/2 and 0.5) counted together and ties broken by first appearance.
 */
export function majorityVote(config: z.infer<typeof majorityVoteSchema>, ctx: RewardContext): Reward {
  return {
    name: 'majority_vote',
    needs: [],
    async score(group) {
      const answers = group.responses.map((r) => extractAnswer(r, config.extractors)?.answer ?? null);
      const clusters: Array<{ rep: string; members: number[] }> = [];
      const clusterOf: Array<number | null> = [];
      for (const [i, a] of answers.entries()) {
        if (a === null) {
          clusterOf.push(null);
          continue;
        }
        let found: number | null = null;
        for (const [c, cluster] of clusters.entries()) {
          if ((await ctx.verify(cluster.rep, a, { extractors: ['verbatim'] })).correct) {
            found = c;
            break;
          }
        }
        if (found === null) {
          found = clusters.length;
          clusters.push({ rep: a, members: [] });
        }
        clusters[found].members.push(i);
        clusterOf.push(found);
      }
      // Strictly greater keeps the earliest cluster on ties; clusters are in first-seen order.
      let winner: number | null = null;
      for (const [c, cluster] of clusters.entries()) {
        if (winner === null || cluster.members.length > clusters[winner].members.length) winner = c;
      }
      const label = winner === null ? null : clusters[winner].rep;
      const votes = winner === null ? 0 : clusters[winner].members.length;
      return clusterOf.map((c, i) => ({
        score: c !== null && c === winner ? 1 : 0,
        info: { label, votes, extracted: answers[i] },
      }));
    },
  };
}
