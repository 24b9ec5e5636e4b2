/**
 * Rejection sampling (the R1 cold-start / distillation data path): sample k completions per
 * prompt, keep the verified-correct ones that pass the readability filter, write them as an SFT
 * dataset in which each line is {id, prompt, completion, answer} (read back with
 * data.train.completion_field).
 *
 * Prompts go in chunks; with a progress log each finished chunk's kept rows and counts are
 * appended and fsynced, so an interrupted run asks the policy only for the chunks it lacks and
 * ends with the same dataset (a chunk's samples depend only on its prompts and seed).
 */
import { createHash } from 'node:crypto';
import type { Policy, SamplingParams } from '../backends/policy.ts';
import { ResponseCache } from '../backends/response-cache.ts';
import type { BenchmarkItem } from '../data/index.ts';
import type { Verify } from '../rewards/types.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { Extractor } from '../verify/extract.ts';
import { dedupKey, defaultReadability, type Readability, readabilityReject, type RejectReason } from './readability.ts';

export type SftRow = { id: string; prompt: string; completion: string; answer: string };

export interface RejectionResult {
  rows: SftRow[];
  sampled: number;
  promptsWithAKeeper: number;
  /** Samples dropped, by reason (incorrect, truncated, overlong, format, language, duplicate, over_cap). */
  rejected: Record<RejectReason, number>;
  /** Chunks taken from the progress log of an interrupted run. */
  chunksResumed: number;
}

export interface RejectionOptions {
  filter?: Readability;
  /** Prompts per policy call. */
  batchPrompts?: number;
  /** A JSONL progress log: finished chunks are recorded and skipped on a rerun. */
  progressPath?: string;
  /** What the samples are made with (model identity, dataset, template…): a log made with other settings is not reused. */
  settings?: Record<string, unknown>;
  onBatch?: (done: number) => void;
}

interface ChunkRecord {
  rows: SftRow[];
  sampled: number;
  withKeeper: number;
  rejected: Partial<Record<RejectReason, number>>;
}

const emptyRejected = (): Record<RejectReason, number> => ({ incorrect: 0, truncated: 0, overlong: 0, format: 0, language: 0, duplicate: 0, over_cap: 0 });

export async function rejectionSample(
  policy: Policy,
  items: BenchmarkItem[],
  prompts: string[],
  params: SamplingParams,
  verify: Verify,
  extractors: readonly Extractor[],
  opts: RejectionOptions = {},
): Promise<RejectionResult> {
  const filter = opts.filter ?? defaultReadability;
  const batchPrompts = opts.batchPrompts ?? 16;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ settings: opts.settings ?? null, params, filter, extractors, batchPrompts }))
    .digest('hex')
    .slice(0, 16);
  const log = opts.progressPath ? new ResponseCache<ChunkRecord>(opts.progressPath) : null;
  const result: RejectionResult = { rows: [], sampled: 0, promptsWithAKeeper: 0, rejected: emptyRejected(), chunksResumed: 0 };
  try {
    for (let start = 0; start < items.length; start += batchPrompts) {
      const chunk = items.slice(start, start + batchPrompts);
      const key = JSON.stringify([fingerprint, start, chunk.map((it) => it.id)]);
      let record = log?.get(key);
      if (record) result.chunksResumed++;
      else {
        record = await sampleChunk(policy, chunk, prompts.slice(start, start + chunk.length), { ...params, seed: params.seed + start }, verify, extractors, filter);
        log?.put(key, record);
      }
      result.rows.push(...record.rows);
      result.sampled += record.sampled;
      result.promptsWithAKeeper += record.withKeeper;
      for (const [reason, k] of Object.entries(record.rejected)) result.rejected[reason as RejectReason] += k;
      opts.onBatch?.(chunk.length);
    }
  } finally {
    log?.close();
  }
  return result;
}

async function sampleChunk(
  policy: Policy,
  chunk: BenchmarkItem[],
  prompts: string[],
  params: SamplingParams,
  verify: Verify,
  extractors: readonly Extractor[],
  filter: Readability,
): Promise<ChunkRecord> {
  const completions = await policy.generate(prompts, params);
  const record: ChunkRecord = { rows: [], sampled: completions.length, withKeeper: 0, rejected: {} };
  const reject = (reason: RejectReason) => (record.rejected[reason] = (record.rejected[reason] ?? 0) + 1);
  for (const [i, item] of chunk.entries()) {
    const seen = new Set<string>();
    let kept = 0;
    for (const c of completions.filter((c) => c.promptIndex === i).sort((a, b) => a.sampleIndex - b.sampleIndex)) {
      const why = await readabilityReject(c.text, c.tokenCount ?? c.tokenIds.length, c.finishReason, filter);
      if (why) {
        reject(why);
        continue;
      }
      const dk = dedupKey(c.text, filter.dedup);
      if (dk !== null && seen.has(dk)) {
        reject('duplicate');
        continue;
      }
      if (!(await verify(item.answer, c.text, { extractors })).correct) {
        reject('incorrect');
        continue;
      }
      if (filter.max_per_prompt !== null && kept >= filter.max_per_prompt) {
        reject('over_cap');
        continue;
      }
      if (dk !== null) seen.add(dk);
      kept++;
      record.rows.push({ id: item.id, prompt: prompts[i], completion: c.text, answer: item.answer });
    }
    if (kept) record.withKeeper++;
  }
  return record;
}

export function writeSftDataset(path: string, rows: readonly SftRow[]): void {
  writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}
