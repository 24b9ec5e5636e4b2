/**
 * Rejection sampling (the R1 cold-start / distillation data path): sample k completions per
 * prompt, keep the verified-correct ones (distinct texts), write them as an SFT dataset in which
 * each line is {id, prompt, completion, answer} (read back with data.train.completion_field).
 */
import type { Policy, SamplingParams } from '../backends/policy.ts';
import type { BenchmarkItem } from '../data/index.ts';
import type { Verify } from '../rewards/types.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { Extractor } from '../verify/extract.ts';

export interface RejectionResult {
  rows: Array<{ id: string; prompt: string; completion: string; answer: string }>;
  sampled: number;
  promptsWithAKeeper: number;
}

export async function rejectionSample(
  policy: Policy,
  items: BenchmarkItem[],
  prompts: string[],
  params: SamplingParams,
  verify: Verify,
  extractors: readonly Extractor[],
  onBatch?: (done: number) => void,
  batchPrompts = 16,
): Promise<RejectionResult> {
  const rows: RejectionResult['rows'] = [];
  let promptsWithAKeeper = 0;
  for (let start = 0; start < items.length; start += batchPrompts) {
    const chunk = items.slice(start, start + batchPrompts);
    const completions = await policy.generate(prompts.slice(start, start + chunk.length), { ...params, seed: params.seed + start });
    for (const [i, item] of chunk.entries()) {
      const kept = new Set<string>();
      for (const c of completions.filter((c) => c.promptIndex === i)) {
        if (kept.has(c.text)) continue;
        if ((await verify(item.answer, c.text, { extractors })).correct) kept.add(c.text);
      }
      if (kept.size) promptsWithAKeeper++;
      for (const completion of kept) rows.push({ id: item.id, prompt: prompts[start + i], completion, answer: item.answer });
    }
    onBatch?.(chunk.length);
  }
  return { rows, sampled: items.length * params.n, promptsWithAKeeper };
}

export function writeSftDataset(path: string, rows: RejectionResult['rows']): void {
  writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}
