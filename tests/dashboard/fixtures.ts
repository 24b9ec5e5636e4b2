/**
 * Run directories of every kind the dashboard shows, in the formats their producers write:
 * training runs through RunDir (synthetic-run.ts), eval results through the harness's own
 * computeResults, probe and perplexity summaries through summarizeProbe / summarizePerplexities,
 * suite and demo summaries typed by their interfaces; plus broken runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { type ProbeRecord, summarizeProbe } from '../../src/audit/contamination.ts';
import { type PerplexityRow, summarizePerplexities } from '../../src/audit/perplexity.ts';
import type { SpuriousSummary } from '../../src/audit/spurious.ts';
import { writeSyntheticRun } from '../../src/dashboard/synthetic-run.ts';
import type { DemoSummary } from '../../src/demo/summary.ts';
import type { SampleRecord } from '../../src/eval/progress-log.ts';
import { computeResults } from '../../src/eval/results.ts';
import type { EvalResults } from '../../src/eval/run.ts';
import { Rng } from '../../src/util/rng.ts';

const BOOTSTRAP = { resamples: 200, level: 0.95, seed: 0 };
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r) + '\n').join('');
const est = (value: number, half = 0.05) => ({ value, ci: [value - half, value + half] as [number, number] });

export async function writeEvalRun(
  dir: string,
  opts: { items?: number; n?: number; seed?: number } = {},
): Promise<EvalResults> {
  const nItems = opts.items ?? 12;
  const n = opts.n ?? 4;
  const rng = new Rng(opts.seed ?? 3);
  const items = Array.from({ length: nItems }, (_, i) => ({
    id: `math/${i}`,
    problem: `Compute ${i} + ${2 * i}.`,
    answer: String(3 * i),
    subject: i % 2 ? 'Algebra' : 'Geometry',
    level: 1 + (i % 3),
    meta: {},
  }));
  const records: SampleRecord[][] = items.map((it) =>
    Array.from({ length: n }, (_, k) => {
      const correct = rng.uniform() < 0.6;
      const extracted = correct ? it.answer : rng.uniform() < 0.5 ? String(Number(it.answer) + 1) : null;
      return {
        id: it.id,
        sample_index: k,
        seed: k,
        prompt: `${it.problem}\nPut your final answer within \\boxed{}.`,
        gold: it.answer,
        response: extracted === null ? 'I am not sure.' : `The sum is \\boxed{${extracted}}.`,
        extracted,
        correct,
        format_ok: extracted !== null,
        verify_reason: correct
          ? 'identical'
          : extracted === null
            ? 'no answer'
            : `exact values differ: ${extracted} vs ${it.answer}`,
        response_tokens: 12 + k,
        finish_reason: 'stop' as const,
      };
    }),
  );
  const block = await computeResults(items, records, {
    equivalent: (a, b) => a === b,
    greedy: false,
    bootstrap: BOOTSTRAP,
  });
  const results: EvalResults = {
    schema: 'rlvr-eval/1',
    config: {
      model: '/models/qwen2-tiny',
      backend: 'embedded:/models/qwen2-tiny',
      dataset: '/data/math.jsonl',
      dataset_name: 'math-mini',
      template: 'qwen-boxed',
      n,
      temperature: 0.6,
      top_p: 0.95,
      top_k: 0,
      seed: 0,
      limit: null,
    },
    ...block,
    timing: {
      started_at: '2026-01-01T00:00:00Z',
      finished_at: '2026-01-01T00:01:00Z',
      wall_s: 60,
      sampling_s: 55,
      samples_generated: nItems * n,
      samples_resumed: 0,
      samples_reverified: 0,
      samples_per_s: 1,
      response_tokens_per_s: 10,
    },
  } as EvalResults;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'progress.config.json'), JSON.stringify(results.config, null, 2) + '\n');
  writeFileSync(
    join(dir, 'progress.jsonl'),
    jsonl(records.flat().map((r) => ({ key: JSON.stringify([r.id, r.sample_index]), value: r }))),
  );
  writeFileSync(join(dir, 'samples.jsonl'), jsonl(records.flat()));
  writeFileSync(join(dir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  return results;
}

/** An evaluation still sampling: settings and a progress log, no results.json yet. */
export function writeRunningEval(dir: string, samples: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'progress.config.json'),
    JSON.stringify(
      {
        model: '/models/qwen2-tiny',
        dataset: '/data/gsm8k.jsonl',
        template: 'qwen-boxed',
        temperature: 0,
        seed: 0,
      },
      null,
      2,
    ),
  );
  const rows = Array.from({ length: samples }, (_, i) => ({
    key: JSON.stringify([`gsm8k/${i}`, 0]),
    value: {
      id: `gsm8k/${i}`,
      sample_index: 0,
      seed: 0,
      prompt: `Question ${i}`,
      gold: String(i),
      response: `#### ${i}`,
      extracted: String(i),
      correct: true,
      format_ok: false,
      verify_reason: 'identical',
      response_tokens: 4,
      finish_reason: 'stop',
    },
  }));
  writeFileSync(join(dir, 'progress.jsonl'), jsonl(rows));
}

/** `rlvr audit contamination`'s summary.json, or (`demo`) the demo's phase-1 {config, ratios, skipped}. */
export function writeContamination(dir: string, shape: 'cli' | 'demo' = 'cli'): void {
  const ratios = [0.4, 0.6, 0.8];
  const records: ProbeRecord[] = [];
  for (let i = 0; i < 10; i++)
    for (const r of ratios) {
      const leaked = i < 5;
      records.push({
        id: `organism/1/${leaked ? 'leaked' : 'clean'}/${i}`,
        prefix_ratio: r,
        prefix: `How many beads does Finn have with ${i} bags`,
        remainder: `of 9 beads each and ${i} loose beads?`,
        continuation: leaked ? `of 9 beads each and ${i} loose beads?\n#### ${10 * i}` : 'of beads in a box?',
        compared: leaked ? `of 9 beads each and ${i} loose beads?` : 'of beads in a box?',
        rouge_l: leaked ? 1 : 0.4,
        exact_match: leaked,
        answer_correct: leaked,
        extracted_answer: leaked ? String(10 * i) : null,
        max_new_tokens: 96,
        finish_reason: 'stop',
        leaked,
      });
    }
  const summary = {
    dataset: 'organism-benchmarks',
    dataset_path: '/assets/organism/both.jsonl',
    policy: 'embedded:/assets/organism',
    config: {
      ratios,
      split: 'characters',
      margin: 1.25,
      answer_tokens: 64,
      answer_extractors: ['boxed'],
      limit: null,
      bootstrap: BOOTSTRAP,
    },
    counts: { items: 10, labeled: true, leaked: 5, skipped: 0 },
    skipped: [],
    ratios: summarizeProbe(records, [], ratios, BOOTSTRAP),
  };
  const demoSummary = {
    config: {
      model: '/assets/organism/',
      items: [...new Set(records.map((r) => r.id))],
      ratios,
      bootstrap: BOOTSTRAP,
    },
    ratios: summary.ratios,
    skipped: [],
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'items.jsonl'), jsonl(records));
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify(shape === 'demo' ? demoSummary : summary, null, 2) + '\n',
  );
}

function perplexityRows(seed: number, shift: number): PerplexityRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: 10 }, (_, i) => ({
    id: `item/${i}`,
    answer_ppl: (i < 5 ? 1.1 : 11) + shift + rng.uniform(),
    prompt_ppl: 1.3 + rng.uniform() * 0.2,
    full_ppl: 1.5 + rng.uniform() * 0.2,
    answer_tokens: 6,
    prompt_tokens: 60,
    full_tokens: 66,
    leaked: i < 5,
  }));
}

/** `rlvr audit perplexity --run`'s perplexity.json. */
export function writePerplexity(dir: string): void {
  const checkpoints = [2, 4, 6].map((step, k) => ({
    label: `step-${step}`,
    step,
    dir: `/runs/a/checkpoints/step-${step}`,
    document_start: '<|endoftext|>',
    ...summarizePerplexities(perplexityRows(k, k * 0.5), BOOTSTRAP),
  }));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'perplexity.json'),
    JSON.stringify(
      {
        dataset: 'organism',
        dataset_path: '/o.jsonl',
        config: { template: 'none', answer_field: 'answer', limit: null, bootstrap: BOOTSTRAP },
        checkpoints,
      },
      null,
      2,
    ) + '\n',
  );
}

const VARIANTS = ['ground_truth', 'random'] as const;

export async function writeSuite(dir: string): Promise<SpuriousSummary> {
  for (const v of VARIANTS)
    writeSyntheticRun(join(dir, 'runs', v), {
      steps: 8,
      groupsPerStep: 1,
      groupSize: 2,
      seed: v === 'random' ? 2 : 1,
      config: { rewards: [{ name: v === 'random' ? 'random' : 'accuracy', weight: 1 }] },
    });
  await writeEvalRun(join(dir, 'eval', 'initial', 'suspect'), { items: 6, n: 1 });
  mkdirSync(join(dir, 'data'), { recursive: true });
  const gain = (before: number, after: number) => ({
    before: est(before),
    after: est(after),
    gain: est(after - before, 0.1),
    trend: (after - before > 0.1 ? 'up' : 'flat') as 'up' | 'flat',
  });
  const summary: SpuriousSummary = {
    schema: 'rlvr-spurious/1',
    config: {
      path: 'grpo.yaml',
      model: '/assets/organism',
      seed: 0,
      steps: 8,
      batch_size: 8,
      rollout_n: 4,
      template: 'none',
      extractors: 'math',
    },
    evaluation: { n: 1, temperature: 0, max_new_tokens: 80, limit: 6, bootstrap: { ...BOOTSTRAP } },
    benchmarks: {
      suspect: { role: 'suspect', dataset: '/o/leaked.jsonl', origin: 'given', name: 'leaked', items: 6 },
      clean: { role: 'clean', dataset: '/o/clean.jsonl', origin: 'given', name: 'clean', items: 6 },
    },
    initial: { suspect: est(0.9), clean: est(0.1) },
    variants: VARIANTS.map((v, k) => ({
      variant: v,
      rewards: [{ name: v === 'random' ? 'random' : 'accuracy', weight: 1, config: {} }],
      run_dir: join(dir, 'runs', v),
      action: 'trained' as const,
      final_step: 8,
      suspect: gain(0.9, k ? 0.5 : 0.95),
      clean: gain(0.1, k ? 0.1 : 0.3),
      training: Array.from({ length: 8 }, (_, s) => ({
        step: s + 1,
        reward_mean: 0.1 * s,
        accuracy: 0.05 * s,
      })),
    })),
    curves: VARIANTS.flatMap((v) =>
      (['suspect', 'clean'] as const).map((b) => ({
        variant: v,
        benchmark: b,
        points: [0, 4, 8].map((step) => ({
          step,
          accuracy: est(b === 'suspect' ? 0.9 - step * 0.02 : 0.1 + step * 0.01),
        })),
      })),
    ),
    verdict: {
      rule: 'signal_matters',
      text: 'no variant except ground truth gains (…): the reward signal matters',
      notes: ['random lost accuracy on SUSPECT'],
    },
  } as SpuriousSummary;
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

export async function writeDemo(dir: string): Promise<void> {
  writeContamination(join(dir, 'contamination'), 'demo');
  const suite = await writeSuite(join(dir, 'spurious'));
  writeFileSync(join(dir, 'grpo.yaml'), YAML.stringify({ kind: 'grpo', model: '/assets/organism' }));
  const checkpoints = [
    {
      variant: 'initial',
      step: 0,
      dir: '/assets/organism',
      summary: summarizePerplexities(perplexityRows(9, 0), BOOTSTRAP),
    },
    ...VARIANTS.flatMap((v, k) =>
      [4, 8].map((step) => ({
        variant: v,
        step,
        dir: `${dir}/spurious/runs/${v}/checkpoints/step-${step}`,
        summary: summarizePerplexities(perplexityRows(step + k, k * step * 0.2), BOOTSTRAP),
      })),
    ),
  ];
  mkdirSync(join(dir, 'perplexity'), { recursive: true });
  writeFileSync(
    join(dir, 'perplexity', 'perplexity.json'),
    JSON.stringify(
      {
        config: {
          model: '/assets/organism',
          runs: [],
          items: [],
          answer_text: '\n#### N',
          template: 'none',
          bootstrap: BOOTSTRAP,
        },
        checkpoints,
      },
      null,
      2,
    ) + '\n',
  );
  const demo: DemoSummary = {
    schema: 'rlvr-demo/1',
    finished_at: '2026-01-01T00:10:00Z',
    organism: { dir: '/assets/organism', seed: 1, parameters: 567552 },
    budget: {
      name: 'quick',
      items: 6,
      ratios: [0.6],
      steps: 2,
      checkpointEvery: 2,
      batchSize: 2,
      groupSize: 2,
      trainItems: 16,
    },
    contamination: {
      items: { leaked: 5, clean: 5 },
      headline_ratio: 0.6,
      rouge_l: { leaked: 1, clean: 0.4 },
      exact_match: { leaked: 1, clean: 0 },
      answer_accuracy: { leaked: 1, clean: 0 },
      auroc_rouge_l: 1,
      summary: join(dir, 'contamination', 'summary.json'),
    },
    spurious: {
      initial: { suspect: 0.9, clean: 0.1 },
      variants: suite.variants.map((v) => ({
        variant: v.variant,
        suspect: {
          before: v.suspect.before.value,
          after: v.suspect.after.value,
          gain: v.suspect.gain.value,
          ci: v.suspect.gain.ci,
        },
        clean: {
          before: v.clean.before.value,
          after: v.clean.after.value,
          gain: v.clean.gain.value,
          ci: v.clean.gain.ci,
        },
      })),
      verdict_rule: suite.verdict.rule,
      verdict: suite.verdict.text,
      summary: join(dir, 'spurious', 'summary.json'),
    },
    perplexity: {
      answer_ppl_median: [{ variant: 'initial', step: 0, leaked: 1.07, clean: 11.1 }],
      summary: join(dir, 'perplexity', 'perplexity.json'),
    },
    timing: {
      phases: [{ phase: 'contamination', seconds: 20, reused: false, rss_mb: 500 }],
      total_seconds: 60,
      peak_rss_mb: 900,
      cores: 2,
      load_average_start: [1, 1, 1],
      load_average_end: [1, 1, 1],
    },
    report: join(dir, 'report.html'),
  } as DemoSummary;
  writeFileSync(join(dir, 'demo.json'), JSON.stringify(demo, null, 2) + '\n');
}

/** Every kind under `root`; returns the ids the dashboard should find, by kind. */
export async function writeAllKinds(root: string): Promise<Record<string, string>> {
  writeSyntheticRun(join(root, 'train', 'grpo-live'), {
    steps: 40,
    written: 12,
    groupsPerStep: 2,
    groupSize: 4,
  });
  writeSyntheticRun(join(root, 'train', 'sft-done'), { kind: 'sft', steps: 20 });
  await writeEvalRun(join(root, 'evals', 'math-mini'));
  writeRunningEval(join(root, 'evals', 'gsm8k-running'), 5);
  writeContamination(join(root, 'audit', 'contamination'));
  writePerplexity(join(root, 'audit', 'perplexity'));
  await writeSuite(join(root, 'suite'));
  await writeDemo(join(root, 'demo'));
  mkdirSync(join(root, 'interp', 'lens'), { recursive: true });
  writeFileSync(
    join(root, 'interp', 'lens', 'logit_lens.json'),
    JSON.stringify(
      {
        schema: 'rlvr-interp-lens/1',
        layers: [0, 1, 2],
        top_tokens: [
          ['7', '8'],
          ['42', '4'],
          ['42', '2'],
        ],
      },
      null,
      2,
    ),
  );
  return {
    grpo: 'train/grpo-live',
    sft: 'train/sft-done',
    eval: 'evals/math-mini',
    evalRunning: 'evals/gsm8k-running',
    contamination: 'audit/contamination',
    perplexity: 'audit/perplexity',
    suite: 'suite',
    suiteVariant: 'suite/runs/random',
    suiteEval: 'suite/eval/initial/suspect',
    demo: 'demo',
    demoContamination: 'demo/contamination',
    demoSuite: 'demo/spurious',
    demoPerplexity: 'demo/perplexity',
    other: 'interp/lens',
  };
}

/** Runs with a corrupt or missing file each. */
export function writeBrokenRuns(root: string): Record<string, string> {
  // a corrupt config.yaml
  writeSyntheticRun(join(root, 'broken', 'bad-config'), { steps: 10, written: 3 });
  writeFileSync(join(root, 'broken', 'bad-config', 'config.yaml'), 'kind: grpo\nmodel: [unclosed\n');
  // a metrics line that is not JSON in the middle, and a torn last line
  const m = join(root, 'broken', 'bad-metrics');
  writeSyntheticRun(m, { steps: 10, written: 4 });
  writeFileSync(
    join(m, 'metrics.jsonl'),
    '{"step": 1, "reward_mean": 0.1}\n{"step": 2, "reward_me\n{"step": 3, "reward_mean": 0.3}\n{"step": 4, "rew',
    { flag: 'w' },
  );
  // a truncated results.json
  const e = join(root, 'broken', 'bad-results');
  mkdirSync(e, { recursive: true });
  writeFileSync(join(e, 'results.json'), '{"schema": "rlvr-eval/1", "metrics": {"pass@1": {"value": 0.5');
  // a training log whose config.yaml is missing
  const c = join(root, 'broken', 'no-config');
  mkdirSync(c, { recursive: true });
  writeFileSync(join(c, 'metrics.jsonl'), '{"step": 1, "reward_mean": 0.1}\n');
  return {
    badConfig: 'broken/bad-config',
    badMetrics: 'broken/bad-metrics',
    badResults: 'broken/bad-results',
    noConfig: 'broken/no-config',
  };
}
