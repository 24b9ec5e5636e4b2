import { bootstrapMeanCI, type BootstrapOptions } from './bootstrap.ts';
import { passAtEveryK } from './passk.ts';
import { hasFencedCodeBlock, mentionsPython, SOLUTION_MODES, type SolutionMode, solutionMode } from './textstats.ts';
import { majorityVote, type Equivalent } from './vote.ts';

export interface ScoredSample {
  /** 0..n−1; cons@k votes over the k samples with the lowest indices. */
  sampleIndex: number;
  response: string;
  /** The extracted final answer, null when none could be extracted. */
  extracted: string | null;
  correct: boolean;
  /** Whether the response follows the template's answer format (e.g. a non-empty \boxed{}). */
  formatOk: boolean;
  responseTokens: number;
}

export interface ScoredItem {
  id: string;
  subject?: string;
  level?: number | string;
  samples: ScoredSample[];
}

/** A mean over items with its bootstrap confidence interval. */
export interface Estimate {
  value: number;
  ci: [number, number];
}

export interface EvalMetrics {
  /** Mean correctness over all samples of an item, averaged over items. */
  'pass@1': Estimate;
  /** Unbiased pass@k for every k from 1 to the smallest per-item sample count, keyed by k. */
  'pass@k': Record<string, Estimate>;
  /** Majority vote over the first k samples (see vote.ts for clustering and ties), keyed by k. */
  'cons@k': Record<string, Estimate>;
  format_rate: Estimate;
  /** Responses that contain `python`. */
  code_reasoning_rate: Estimate;
  /** Responses with a fenced code block. */
  code_block_rate: Estimate;
  mean_response_tokens: Estimate;
  mean_response_chars: Estimate;
  /** Per solution mode (textstats.ts `solutionMode`): its share of the samples and the accuracy of those samples. */
  by_mode: Record<SolutionMode, ModeStats>;
  counts: { items: number; samples: number; minSamplesPerItem: number };
}

export interface ModeStats {
  samples: number;
  /** Share of all samples in this mode (per-item mean, like the other rates). */
  share: Estimate;
  /** Accuracy over this mode's samples (CI resamples them); null when the mode never occurs. */
  accuracy: Estimate | null;
}

export interface MetricsOptions {
  equivalent: Equivalent;
  /** k values for cons@k; default the powers of two up to the smallest sample count, and that count. */
  consKs?: number[];
  bootstrap?: BootstrapOptions;
}

export interface Breakdowns {
  subject: Record<string, EvalMetrics>;
  level: Record<string, EvalMetrics>;
}

/** Every metric is a per-item value averaged with equal weight per item; CIs resample items. */
export async function computeMetrics(items: readonly ScoredItem[], opts: MetricsOptions): Promise<EvalMetrics> {
  if (items.length === 0) throw new RangeError('no items to compute metrics over');
  for (const item of items) if (item.samples.length === 0) throw new RangeError(`item ${item.id} has no samples`);
  const minN = Math.min(...items.map((i) => i.samples.length));
  const estimate = (perItem: number[]): Estimate => ({ value: mean(perItem), ci: bootstrapMeanCI(perItem, opts.bootstrap) });
  const perSampleMean = (f: (s: ScoredSample) => number) => estimate(items.map((i) => mean(i.samples.map(f))));

  const passK: Record<string, Estimate> = {};
  const everyK = items.map((i) => passAtEveryK(i.samples.length, i.samples.filter((s) => s.correct).length));
  for (let k = 1; k <= minN; k++) passK[k] = estimate(everyK.map((v) => v[k - 1]));

  const consKs = opts.consKs ?? defaultConsKs(minN);
  const consK: Record<string, Estimate> = {};
  for (const k of consKs) {
    if (!Number.isInteger(k) || k < 1 || k > minN) throw new RangeError(`cons@k needs 1 ≤ k ≤ ${minN} (the smallest sample count), got ${k}`);
    const perItem: number[] = [];
    for (const item of items) {
      const firstK = [...item.samples].sort((a, b) => a.sampleIndex - b.sampleIndex).slice(0, k);
      const vote = await majorityVote(firstK.map((s) => s.extracted), opts.equivalent);
      perItem.push(vote.winner !== null && firstK[vote.winner].correct ? 1 : 0);
    }
    consK[k] = estimate(perItem);
  }

  return {
    'pass@1': perSampleMean((s) => Number(s.correct)),
    'pass@k': passK,
    'cons@k': consK,
    format_rate: perSampleMean((s) => Number(s.formatOk)),
    code_reasoning_rate: perSampleMean((s) => Number(mentionsPython(s.response))),
    code_block_rate: perSampleMean((s) => Number(hasFencedCodeBlock(s.response))),
    mean_response_tokens: perSampleMean((s) => s.responseTokens),
    mean_response_chars: perSampleMean((s) => s.response.length),
    by_mode: modeStats(items, perSampleMean, opts.bootstrap),
    counts: { items: items.length, samples: items.reduce((n, i) => n + i.samples.length, 0), minSamplesPerItem: minN },
  };
}

function modeStats(items: readonly ScoredItem[], perSampleMean: (f: (s: ScoredSample) => number) => Estimate, bootstrap: BootstrapOptions | undefined): Record<SolutionMode, ModeStats> {
  const modeOf = new Map<ScoredSample, SolutionMode>(items.flatMap((i) => i.samples.map((s) => [s, solutionMode(s.response)] as const)));
  const correctBy = new Map<SolutionMode, number[]>(SOLUTION_MODES.map((m) => [m, []]));
  for (const [s, m] of modeOf) correctBy.get(m)?.push(Number(s.correct));
  const out = {} as Record<SolutionMode, ModeStats>;
  for (const mode of SOLUTION_MODES) {
    const correct = correctBy.get(mode) ?? [];
    out[mode] = {
      samples: correct.length,
      share: perSampleMean((s) => Number(modeOf.get(s) === mode)),
      accuracy: correct.length ? { value: mean(correct), ci: bootstrapMeanCI(correct, bootstrap) } : null,
    };
  }
  return out;
}

/** The same metrics per subject and per level, over the items that have one. */
export async function computeBreakdowns(items: readonly ScoredItem[], opts: MetricsOptions): Promise<Breakdowns> {
  const by = async (key: (i: ScoredItem) => string | undefined): Promise<Record<string, EvalMetrics>> => {
    const groups = new Map<string, ScoredItem[]>();
    for (const item of items) {
      const k = key(item);
      if (k !== undefined) groups.set(k, [...(groups.get(k) ?? []), item]);
    }
    const out: Record<string, EvalMetrics> = {};
    for (const [k, group] of [...groups].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
      const minN = Math.min(...group.map((i) => i.samples.length));
      out[k] = await computeMetrics(group, { ...opts, consKs: (opts.consKs ?? defaultConsKs(minN)).filter((c) => c <= minN) });
    }
    return out;
  };
  return {
    subject: await by((i) => i.subject),
    level: await by((i) => (i.level === undefined ? undefined : String(i.level))),
  };
}

export function defaultConsKs(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k <= n; k *= 2) ks.push(k);
  if (ks[ks.length - 1] !== n) ks.push(n);
  return ks;
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
