/**
 * One rollout batch: generate G completions per prompt, score them with the composed reward and
 * (as a diagnostic) against the gold answer, and — with DAPO's dynamic sampling — keep drawing
 * prompts until the batch holds enough groups whose rewards differ.
 */
import type { Completion, SamplingParams } from '../backends/policy.ts';
import type { BenchmarkItem } from '../data/index.ts';
import type { CausalLM } from '../model/causal-lm.ts';
import { generateIds } from '../model/generate.ts';
import { scoreIds } from '../model/score.ts';
import type { ComposedReward } from '../rewards/index.ts';
import type { Verify } from '../rewards/types.ts';
import { hasSignal } from './advantages.ts';

export interface Group {
  item: BenchmarkItem;
  prompt: string;
  promptIds: number[];
  completions: Completion[];
  rewards: number[];
  components: Array<Record<string, number>>;
  /** Verified against the gold answer, whatever the training reward is (null without a gold answer). */
  correct: Array<boolean | null>;
}

export interface RolloutRequest {
  lm: CausalLM;
  items: BenchmarkItem[];
  prompts: string[];
  sampling: SamplingParams;
  reward: ComposedReward;
  verify: Verify;
  extractors: readonly string[];
  step: number;
  batchRows: number;
  ignoreEos: boolean;
}

export async function rolloutGroups(r: RolloutRequest): Promise<Group[]> {
  const promptIds = r.prompts.map((p) => r.lm.tokenizer.encode(p));
  const completions = await generateIds(r.lm, promptIds, r.sampling, { maxBatch: r.batchRows, ignoreEos: r.ignoreEos });
  // rewards that read the policy's token logits (self-certainty) get them from one scoring pass
  const certainty = r.reward.needs.includes('logits')
    ? (await scoreIds(r.lm, completions.map((c) => ({ promptIds: promptIds[c.promptIndex], completionIds: c.tokenIds })), { maxBatch: r.batchRows, selfCertainty: true })).selfCertainty!
    : null;
  return Promise.all(
    r.items.map(async (item, i) => {
      const indices = completions.flatMap((c, k) => (c.promptIndex === i ? [k] : []));
      const mine = indices.map((k) => completions[k]);
      const responses = mine.map((c) => c.text);
      const scored = await r.reward.score({
        prompt: r.prompts[i],
        responses,
        gold: item.answer,
        metadata: item.meta,
        step: r.step,
        promptId: item.id,
        tokenCounts: mine.map((c) => c.tokenIds.length),
        ...(certainty ? { logits: indices.map((k) => ({ selfCertainty: certainty[k] })) } : {}),
      });
      const correct = await Promise.all(
        responses.map(async (text) => (item.answer === '' ? null : (await r.verify(item.answer, text, { extractors: r.extractors as never })).correct)),
      );
      return {
        item,
        prompt: r.prompts[i],
        promptIds: promptIds[i],
        completions: mine,
        rewards: scored.map((s) => s.score),
        components: scored.map((s) => s.components),
        correct,
      };
    }),
  );
}

/** DAPO dynamic sampling: drop groups with equal rewards; `draw` is called again until `need` groups remain or the budget ends. */
export async function dynamicSample(
  need: number,
  maxBatches: number,
  draw: (batchIndex: number) => Promise<Group[]>,
): Promise<{ groups: Group[]; filtered: number; batches: number }> {
  const kept: Group[] = [];
  let filtered = 0;
  let batches = 0;
  while (kept.length < need && batches < maxBatches) {
    const groups = await draw(batches++);
    for (const g of groups) {
      if (hasSignal(g.rewards)) kept.push(g);
      else filtered++;
    }
  }
  return { groups: kept.slice(0, need), filtered, batches };
}
