/**
 * Greedy pass@1 of one model directory on one benchmark through the evaluation runner (so it
 * resumes from its progress log), with the per-item correctness that paired gains need.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bootstrapMeanCI, type BootstrapOptions } from '../eval/bootstrap.ts';
import type { Estimate, ModeStats } from '../eval/metrics.ts';
import type { SolutionMode } from '../eval/textstats.ts';
import type { SampleRecord } from '../eval/progress-log.ts';
import { runEvaluation } from '../eval/run.ts';
import { CausalLM } from '../model/causal-lm.ts';
import { BatchedEmbeddedPolicy } from '../server/batched-policy.ts';

export interface EvalSettings {
  template: string;
  /** Render the template's conversation through the model's chat template. */
  asChat?: boolean;
  /** Extraction preset (the training config's `data.extractors`). */
  extraction: string;
  maxNewTokens: number;
  stop: string[];
  /** The first `limit` items of a given dataset. */
  limit: number;
  /** Rows per generate batch. */
  concurrency: number;
  bootstrap: BootstrapOptions;
}

/** Solution modes of the greedy responses: the code-mode share and the accuracy within each mode (null: no response in it). */
export interface ModeSummary {
  code_share: number;
  accuracy: Record<SolutionMode, number | null>;
}

export interface ModelScore {
  accuracy: Estimate;
  modes: ModeSummary;
  /** 1/0 per item id, in the benchmark's order. */
  correct: Map<string, number>;
}

export async function evaluateModel(modelDir: string, dataset: string, outDir: string, s: EvalSettings): Promise<ModelScore> {
  const results = await runEvaluation({
    policy: new BatchedEmbeddedPolicy(CausalLM.load(modelDir), { maxBatch: s.concurrency }),
    model: resolve(modelDir),
    outDir,
    concurrency: s.concurrency,
    bootstrap: s.bootstrap,
    config: {
      dataset,
      template: s.template,
      ...(s.asChat ? { asChat: true } : {}),
      n: 1,
      temperature: 0,
      topP: 1,
      maxNewTokens: s.maxNewTokens,
      seed: 0,
      stop: s.stop,
      limit: s.limit,
      extraction: s.extraction,
    },
  });
  const records = readFileSync(join(outDir, 'samples.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SampleRecord);
  const modes: Record<SolutionMode, ModeStats> = results.metrics.by_mode;
  return {
    accuracy: results.metrics.greedy_accuracy!,
    modes: { code_share: modes.code.share.value, accuracy: { code: modes.code.accuracy?.value ?? null, prose: modes.prose.accuracy?.value ?? null } },
    correct: new Map(records.map((r) => [r.id, r.correct ? 1 : 0])),
  };
}

/**
 * after − before over the same items: the mean per-item difference with a percentile-bootstrap
 * CI that resamples items (so both accuracies move together in each resample: a paired bootstrap).
 */
export function pairedGain(before: Pick<ModelScore, 'correct'>, after: Pick<ModelScore, 'correct'>, bootstrap: BootstrapOptions): Estimate {
  const diffs = [...before.correct].map(([id, b]) => {
    const a = after.correct.get(id);
    if (a === undefined) throw new Error(`item '${id}' was evaluated before training but not after`);
    return a - b;
  });
  return { value: diffs.reduce((x, y) => x + y, 0) / diffs.length, ci: bootstrapMeanCI(diffs, bootstrap) };
}
