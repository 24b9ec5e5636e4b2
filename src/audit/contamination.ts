/**
 * Partial-prompt contamination probes (arXiv 2507.10532; DESIGN §5). For each item and prefix
 * ratio: show the model the question's prefix, continue greedily, and score the continuation
 * against the true remainder (ROUGE-L F1, exact match) and for the gold answer (answer accuracy).
 * See docs/parts/audit-probes.md for the exact definitions.
 */
import { defaultSampling, type Policy } from '../backends/policy.ts';
import type { BootstrapOptions } from '../eval/bootstrap.ts';
import type { Estimate } from '../eval/metrics.ts';
import { EXTRACTION_PRESETS } from '../verify/extract.ts';
import type { VerifyOptions } from '../verify/verify.ts';
import { auroc } from './auroc.ts';
import { type PrefixSplit, type SplitTokenizer, splitByCharacters, splitByTokens } from './prefix.ts';
import { exactMatch, firstWords, rougeL, wordCount } from './rouge.ts';
import { meanEstimate } from './stats.ts';

export const DEFAULT_RATIOS = [0.4, 0.6, 0.8];
export const DEFAULT_MARGIN = 1.25;
export const DEFAULT_ANSWER_TOKENS = 64;
/** Continuation budgets are rounded up to a multiple of this, so items share generate() calls. */
const BUDGET_BUCKET = 16;
/** Items per generate() call. */
const GENERATE_CHUNK = 32;

export interface ProbeItem {
  id: string;
  problem: string;
  answer: string;
  /** Planted or known contamination label, when the dataset has one. */
  leaked?: boolean;
}

/** What the probe needs from the verifier (VerifierPool fits). */
export interface AnswerVerifier {
  verifyMany(
    pairs: ReadonlyArray<{ gold: string; pred: string }>,
    options?: Partial<VerifyOptions>,
  ): Promise<ReadonlyArray<{ correct: boolean; extracted: string | null }>>;
}

export interface ProbeOptions {
  ratios?: readonly number[];
  /** Split by the tokenizer's tokens instead of characters. */
  tokenLevel?: boolean;
  /** Needed for token-level splits; when given, also counts the remainder's tokens for the budget. */
  tokenizer?: SplitTokenizer;
  /** Continuation budget = ⌈margin · remainder tokens⌉ rounded up to 16, plus answerTokens. */
  margin?: number;
  /** Extra tokens for the model to state an answer after the question's remainder. */
  answerTokens?: number;
  verifier: AnswerVerifier;
  onProgress?: (done: number) => void;
}

export interface ProbeRecord {
  id: string;
  prefix_ratio: number;
  prefix: string;
  remainder: string;
  /** The whole greedy continuation (what the answer check reads). */
  continuation: string;
  /** The continuation's first |remainder| words: what ROUGE-L and exact match compare. */
  compared: string;
  rouge_l: number;
  exact_match: boolean;
  answer_correct: boolean;
  extracted_answer: string | null;
  max_new_tokens: number;
  finish_reason: 'stop' | 'length';
  leaked?: boolean;
}

interface Task {
  item: ProbeItem;
  ratio: number;
  split: PrefixSplit;
  budget: number;
}

export function checkRatios(ratios: readonly number[]): void {
  if (ratios.length === 0) throw new RangeError('no prefix ratios given');
  for (const r of ratios) if (!(r > 0 && r < 1)) throw new RangeError(`prefix ratio ${r} is not in (0, 1)`);
}

/** The probe's tasks; items whose prefix or remainder would be empty at a ratio are returned as skipped. */
function planTasks(
  items: readonly ProbeItem[],
  opts: ProbeOptions,
): { tasks: Task[]; skipped: Array<{ id: string; prefix_ratio: number }> } {
  const ratios = opts.ratios ?? DEFAULT_RATIOS;
  checkRatios(ratios);
  if (opts.tokenLevel && !opts.tokenizer) throw new RangeError('token-level splits need a tokenizer');
  const margin = opts.margin ?? DEFAULT_MARGIN;
  const answerTokens = opts.answerTokens ?? DEFAULT_ANSWER_TOKENS;
  const tasks: Task[] = [];
  const skipped: Array<{ id: string; prefix_ratio: number }> = [];
  for (const ratio of ratios) {
    for (const item of items) {
      const split = opts.tokenLevel
        ? splitByTokens(item.problem, ratio, opts.tokenizer!)
        : splitByCharacters(item.problem, ratio);
      if (split.prefix === '' || split.remainder === '') {
        skipped.push({ id: item.id, prefix_ratio: ratio });
        continue;
      }
      // Without a tokenizer (HTTP servers) the character count stands in for the token count.
      const remainderTokens = opts.tokenizer
        ? opts.tokenizer.encode(split.remainder, { addSpecialTokens: false }).length
        : Array.from(split.remainder).length;
      const budget = Math.ceil((margin * remainderTokens) / BUDGET_BUCKET) * BUDGET_BUCKET + answerTokens;
      tasks.push({ item, ratio, split, budget });
    }
  }
  return { tasks, skipped };
}

export async function runContaminationProbe(
  policy: Policy,
  items: readonly ProbeItem[],
  opts: ProbeOptions,
): Promise<{ records: ProbeRecord[]; skipped: Array<{ id: string; prefix_ratio: number }> }> {
  const { tasks, skipped } = planTasks(items, opts);
  const continuations = new Array<{ text: string; finishReason: 'stop' | 'length' }>(tasks.length);
  const byBudget = new Map<number, number[]>();
  tasks.forEach((t, i) => {
    const group = byBudget.get(t.budget);
    if (group) group.push(i);
    else byBudget.set(t.budget, [i]);
  });
  let done = 0;
  for (const [budget, indices] of [...byBudget].sort((a, b) => a[0] - b[0])) {
    for (let start = 0; start < indices.length; start += GENERATE_CHUNK) {
      const chunk = indices.slice(start, start + GENERATE_CHUNK);
      const out = await policy.generate(
        chunk.map((i) => tasks[i].split.prefix),
        { ...defaultSampling, temperature: 0, maxNewTokens: budget, n: 1, seed: 0 },
      );
      for (const c of out)
        continuations[chunk[c.promptIndex]] = { text: c.text, finishReason: c.finishReason };
      done += chunk.length;
      opts.onProgress?.(done);
    }
  }
  const verdicts = await opts.verifier.verifyMany(
    tasks.map((t, i) => ({ gold: t.item.answer, pred: continuations[i].text })),
    { extractors: EXTRACTION_PRESETS.lenient },
  );
  const records = tasks.map((t, i): ProbeRecord => {
    const { text, finishReason } = continuations[i];
    const compared = firstWords(text, wordCount(t.split.remainder));
    const record: ProbeRecord = {
      id: t.item.id,
      prefix_ratio: t.ratio,
      prefix: t.split.prefix,
      remainder: t.split.remainder,
      continuation: text,
      compared,
      rouge_l: rougeL(t.split.remainder, compared).f1,
      exact_match: exactMatch(t.split.remainder, compared),
      answer_correct: verdicts[i].correct,
      extracted_answer: verdicts[i].extracted,
      max_new_tokens: t.budget,
      finish_reason: finishReason,
    };
    if (t.item.leaked !== undefined) record.leaked = t.item.leaked;
    return record;
  });
  return { records, skipped };
}

interface GroupStats {
  n: number;
  rouge_l: Estimate;
  exact_match: Estimate;
  answer_accuracy: Estimate;
}

export interface RatioSummary extends GroupStats {
  prefix_ratio: number;
  skipped: number;
  /** Only when every probed item carries a `leaked` label. */
  by_label?: { leaked: GroupStats; clean: GroupStats };
  /** AUROC of each per-item score against `leaked` (null when one class is empty). */
  auroc?: { rouge_l: number | null; exact_match: number | null; answer_correct: number | null };
}

function groupStats(records: readonly ProbeRecord[], bootstrap: BootstrapOptions): GroupStats {
  return {
    n: records.length,
    rouge_l: meanEstimate(
      records.map((r) => r.rouge_l),
      bootstrap,
    ),
    exact_match: meanEstimate(
      records.map((r) => Number(r.exact_match)),
      bootstrap,
    ),
    answer_accuracy: meanEstimate(
      records.map((r) => Number(r.answer_correct)),
      bootstrap,
    ),
  };
}

/** Aggregates per prefix ratio: means with percentile-bootstrap CIs over items, and AUROC against labels. */
export function summarizeProbe(
  records: readonly ProbeRecord[],
  skipped: ReadonlyArray<{ prefix_ratio: number }>,
  ratios: readonly number[],
  bootstrap: BootstrapOptions = {},
): RatioSummary[] {
  return ratios.map((ratio) => {
    const rs = records.filter((r) => r.prefix_ratio === ratio);
    const summary: RatioSummary = {
      prefix_ratio: ratio,
      skipped: skipped.filter((s) => s.prefix_ratio === ratio).length,
      ...groupStats(rs, bootstrap),
    };
    if (rs.length > 0 && rs.every((r) => r.leaked !== undefined)) {
      const labels = rs.map((r) => r.leaked!);
      summary.by_label = {
        leaked: groupStats(
          rs.filter((r) => r.leaked),
          bootstrap,
        ),
        clean: groupStats(
          rs.filter((r) => !r.leaked),
          bootstrap,
        ),
      };
      summary.auroc = {
        rouge_l: auroc(
          rs.map((r) => r.rouge_l),
          labels,
        ),
        exact_match: auroc(
          rs.map((r) => Number(r.exact_match)),
          labels,
        ),
        answer_correct: auroc(
          rs.map((r) => Number(r.answer_correct)),
          labels,
        ),
      };
    }
    return summary;
  });
}
