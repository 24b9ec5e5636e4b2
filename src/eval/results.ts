/** results.json of an evaluation: metrics with CIs, breakdowns and counts from the recorded samples. */
import type { BenchmarkItem } from '../data/types.ts';
import { bootstrapMeanCI, type BootstrapOptions } from './bootstrap.ts';
import {
  computeBreakdowns,
  computeMetrics,
  type Breakdowns,
  type Estimate,
  type EvalMetrics,
  type ScoredItem,
} from './metrics.ts';
import type { SampleRecord } from './progress-log.ts';
import { explorationReport, type ExplorationReport } from '../exploration/report.ts';
import { computeDynamics, type Dynamics, type DynamicsOptions } from './dynamics.ts';
import type { Equivalent } from './vote.ts';

export type ResultMetrics = Omit<EvalMetrics, 'counts'> & {
  /** Mean correctness of each item's sample 0; only for greedy decoding (temperature 0). */
  greedy_accuracy?: Estimate;
};

export interface ResultCounts {
  items: number;
  samples: number;
  samples_per_item: number;
  /** Samples with an extracted answer. */
  extracted: number;
  correct: number;
  finish_reason: { stop: number; length: number };
  /** Samples whose verification ran out of time (counted wrong). */
  verifier_timeouts: number;
}

export interface ResultMetricsBlock {
  metrics: ResultMetrics;
  breakdowns: Breakdowns;
  counts: ResultCounts;
  /** Response length, reflective phrases, language mixing, truncation (src/eval/dynamics.ts). */
  dynamics: Dynamics;
  /** Systematic-exploration items only: set metrics per size and the success-vs-size decay fit. */
  exploration?: ExplorationReport;
}

/** `records[t]` holds the samples of `items[t]`, in sample-index order. */
export async function computeResults(
  items: readonly BenchmarkItem[],
  records: ReadonlyArray<readonly SampleRecord[]>,
  opts: { equivalent: Equivalent; greedy: boolean; bootstrap?: BootstrapOptions; dynamics?: DynamicsOptions },
): Promise<ResultMetricsBlock> {
  const scored: ScoredItem[] = items.map((item, t) => ({
    id: item.id,
    ...(item.subject !== undefined ? { subject: item.subject } : {}),
    ...(item.level !== undefined ? { level: item.level } : {}),
    samples: records[t].map((r) => ({
      sampleIndex: r.sample_index,
      response: r.response,
      extracted: r.extracted,
      correct: r.correct,
      formatOk: r.format_ok,
      responseTokens: r.response_tokens,
    })),
  }));
  const metricOpts = { equivalent: opts.equivalent, bootstrap: opts.bootstrap };
  const result: ResultMetrics = await computeMetrics(scored, metricOpts);
  // counts move to the top level of results.json, extended below
  delete (result as Partial<EvalMetrics>).counts;
  if (opts.greedy) {
    const perItem = records.map((samples) => Number(samples[0].correct));
    result.greedy_accuracy = {
      value: perItem.reduce((a, b) => a + b, 0) / perItem.length,
      ci: bootstrapMeanCI(perItem, opts.bootstrap),
    };
  }
  const all = records.flat();
  const exploration = explorationReport(items, records.map((samples) => samples.map((r) => r.response)), opts.bootstrap);
  return {
    metrics: result,
    breakdowns: await computeBreakdowns(scored, metricOpts),
    counts: {
      items: items.length,
      samples: all.length,
      samples_per_item: records[0]?.length ?? 0,
      extracted: all.filter((r) => r.extracted !== null).length,
      correct: all.filter((r) => r.correct).length,
      finish_reason: {
        stop: all.filter((r) => r.finish_reason === 'stop').length,
        length: all.filter((r) => r.finish_reason === 'length').length,
      },
      verifier_timeouts: all.filter((r) => r.verify_reason === 'timeout').length,
    },
    dynamics: computeDynamics(all.map((r) => ({ text: r.response, tokens: r.response_tokens, truncated: r.finish_reason === 'length' })), opts.dynamics),
    ...(exploration ? { exploration } : {}),
  };
}
