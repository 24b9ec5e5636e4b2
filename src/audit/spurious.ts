/**
 * `rlvr audit spurious`: one GRPO config trained once per reward variant (same seed, data and
 * budget), the starting model and every checkpoint evaluated on a SUSPECT and a CLEAN benchmark
 * (greedy pass@1 with bootstrap CIs), paired gains, and a verdict by explicit rules.
 *
 *   OUT/data/{suspect,clean}.jsonl                 sets generated here (when not given)
 *   OUT/runs/<variant>/                             run directories (config.yaml, metrics.jsonl, checkpoints/step-N/)
 *   OUT/eval/initial/<role>/, OUT/eval/<variant>/step-N/<role>/   evaluation runner outputs
 *   OUT/summary.json                                the report (see docs/parts/spurious-suite.md)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataset } from '../data/load.ts';
import type { BootstrapOptions } from '../eval/bootstrap.ts';
import type { Estimate } from '../eval/metrics.ts';
import type { TrainConfig } from '../rl/config.ts';
import type { RewardSpec } from '../rewards/index.ts';
import { RunDir } from '../runs/index.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { type BenchmarkRole, type PreparedBenchmark, prepareClean, prepareSuspect } from './spurious-benchmarks.ts';
import { evaluateModel, type EvalSettings, type ModelScore, type ModeSummary, pairedGain } from './spurious-eval.ts';
import { templateBaseline, type TemplateBaseline } from './spurious-templates.ts';
import { checkExistingRun, type RunAction, runState, trainingCurve, type TrainingPoint, trainVariant } from './spurious-runs.ts';
import { type Variant, variantConfig } from './spurious-variants.ts';
import { trend, type Trend, verdict, type Verdict } from './spurious-verdict.ts';

export interface SpuriousOptions {
  config: TrainConfig;
  /** The config file, for messages and the summary. */
  configPath: string;
  variants: readonly Variant[];
  /** Datasets (benchmark names or JSONL paths); generated when absent. */
  suspect?: string;
  clean?: string;
  out: string;
  /** Items per benchmark (the first ones of a given dataset; the size of a generated one). */
  limit: number;
  /** Evaluation budget; default validation.max_new_tokens, else rollout.max_new_tokens. */
  maxNewTokens?: number;
  /** Rows per evaluation generate batch; default 16. */
  concurrency?: number;
  /** No trainer progress bar. */
  quiet?: boolean;
  /** Verify training rewards in-process (tests). */
  inProcessVerify?: boolean;
  /** Greedy accuracy of the starting model under every template (default true). */
  templateBaseline?: boolean;
}

export const ROLES: readonly BenchmarkRole[] = ['suspect', 'clean'];
export const BOOTSTRAP: Required<BootstrapOptions> = { resamples: 1000, level: 0.95, seed: 0 };

export interface BenchmarkGain {
  before: Estimate;
  after: Estimate;
  /** after − before, paired over items. */
  gain: Estimate;
  trend: Trend;
  /** Solution modes of the greedy responses before and after training. */
  modes: { before: ModeSummary; after: ModeSummary };
}

export interface VariantResult {
  variant: Variant;
  rewards: RewardSpec;
  run_dir: string;
  /** What this invocation did with the run. */
  action: RunAction;
  final_step: number;
  suspect: BenchmarkGain;
  clean: BenchmarkGain;
  training: TrainingPoint[];
}

export interface CurvePoint {
  /** 0 = the starting model. */
  step: number;
  accuracy: Estimate;
  modes: ModeSummary;
}

export interface SpuriousSummary {
  schema: 'rlvr-spurious/1';
  config: { path: string; model: string; seed: number; steps: number; batch_size: number; rollout_n: number; template: string; extractors: string };
  evaluation: { n: 1; temperature: 0; max_new_tokens: number; limit: number; bootstrap: Required<BootstrapOptions> };
  benchmarks: Record<BenchmarkRole, PreparedBenchmark & { name: string; items: number }>;
  initial: Record<BenchmarkRole, Estimate>;
  /** The starting model's code-mode share and accuracy by mode. */
  initial_modes: Record<BenchmarkRole, ModeSummary>;
  /** Greedy accuracy of the starting model under each template (absent when skipped). */
  template_baseline?: TemplateBaseline;
  variants: VariantResult[];
  curves: Array<{ variant: Variant; benchmark: BenchmarkRole; points: CurvePoint[] }>;
  verdict: Verdict;
}

const note = (text: string) => process.stderr.write(`spurious: ${text}\n`);

export async function runSpuriousSuite(o: SpuriousOptions): Promise<SpuriousSummary> {
  const base = o.config;
  if (base.kind !== 'grpo') throw new UserError(`${o.configPath}: kind is '${base.kind}'; the spurious-reward suite trains GRPO configs (kind: grpo)`);
  if (o.variants.length === 0) throw new UserError('--rewards lists no variant');
  const configs = o.variants.map((v) => ({ variant: v, cfg: variantConfig(base, v, o.configPath), dir: join(o.out, 'runs', v) }));
  for (const { cfg, dir } of configs) checkExistingRun(cfg, dir);
  const dataDir = join(o.out, 'data');
  const benchmarks = {
    suspect: await prepareSuspect(base, o.suspect, dataDir, o.limit),
    clean: await prepareClean(base, o.clean, dataDir, o.limit),
  };

  const actions = new Map<Variant, RunAction>();
  for (const { variant, cfg, dir } of configs) {
    const state = runState(cfg, dir);
    if (state === 'finished') {
      note(`variant ${variant}: already finished, skipped`);
      actions.set(variant, 'skipped');
      continue;
    }
    note(`variant ${variant}: ${state === 'new' ? 'training' : 'resuming'} ${cfg.train.steps} steps in ${dir}`);
    await trainVariant(cfg, dir, { resume: state === 'interrupted', quiet: o.quiet ?? false, inProcessVerify: o.inProcessVerify ?? false });
    actions.set(variant, state === 'new' ? 'trained' : 'resumed');
  }

  const settings: EvalSettings = {
    template: base.data.template,
    extraction: base.data.extractors,
    maxNewTokens: o.maxNewTokens ?? base.validation.max_new_tokens ?? base.rollout.max_new_tokens,
    stop: base.rollout.stop,
    limit: o.limit,
    concurrency: o.concurrency ?? 16,
    bootstrap: BOOTSTRAP,
  };
  const evaluate = async (label: string, modelDir: string): Promise<Record<BenchmarkRole, ModelScore>> => {
    note(`evaluating ${label} on SUSPECT and CLEAN`);
    const scores = {} as Record<BenchmarkRole, ModelScore>;
    for (const role of ROLES) scores[role] = await evaluateModel(modelDir, benchmarks[role].dataset, join(o.out, 'eval', label, role), settings);
    return scores;
  };
  const initial = await evaluate('initial', base.model);
  const baseline = o.templateBaseline === false ? undefined : await templateBaseline(base.model, benchmarks, initial, settings, join(o.out, 'eval', 'templates'), note);

  const variants: VariantResult[] = [];
  const curves: SpuriousSummary['curves'] = [];
  for (const { variant, cfg, dir } of configs) {
    const checkpoints = RunDir.open(dir).checkpoints();
    const scores: Array<{ step: number; score: Record<BenchmarkRole, ModelScore> }> = [{ step: 0, score: initial }];
    for (const c of checkpoints) scores.push({ step: c.step, score: await evaluate(join(variant, `step-${c.step}`), c.dir) });
    const last = scores[scores.length - 1];
    const gainOn = (role: BenchmarkRole): BenchmarkGain => {
      const gain = pairedGain(initial[role], last.score[role], BOOTSTRAP);
      return { before: initial[role].accuracy, after: last.score[role].accuracy, gain, trend: trend(gain), modes: { before: initial[role].modes, after: last.score[role].modes } };
    };
    variants.push({
      variant,
      rewards: cfg.rewards ?? [],
      run_dir: dir,
      action: actions.get(variant)!,
      final_step: last.step,
      suspect: gainOn('suspect'),
      clean: gainOn('clean'),
      training: trainingCurve(dir),
    });
    for (const role of ROLES) curves.push({ variant, benchmark: role, points: scores.map((s) => ({ step: s.step, accuracy: s.score[role].accuracy, modes: s.score[role].modes })) });
  }

  const names = { suspect: benchmarkName(benchmarks.suspect), clean: benchmarkName(benchmarks.clean) };
  const summary: SpuriousSummary = {
    schema: 'rlvr-spurious/1',
    config: {
      path: o.configPath,
      model: base.model,
      seed: base.seed,
      steps: base.train.steps,
      batch_size: base.train.batch_size,
      rollout_n: base.rollout.n,
      template: base.data.template,
      extractors: base.data.extractors,
    },
    evaluation: { n: 1, temperature: 0, max_new_tokens: settings.maxNewTokens, limit: o.limit, bootstrap: BOOTSTRAP },
    benchmarks: {
      suspect: { ...benchmarks.suspect, name: names.suspect, items: initial.suspect.correct.size },
      clean: { ...benchmarks.clean, name: names.clean, items: initial.clean.correct.size },
    },
    initial: { suspect: initial.suspect.accuracy, clean: initial.clean.accuracy },
    initial_modes: { suspect: initial.suspect.modes, clean: initial.clean.modes },
    ...(baseline ? { template_baseline: baseline } : {}),
    variants,
    curves,
    verdict: verdict(variants.map((v) => ({ variant: v.variant, suspect: v.suspect.gain, clean: v.clean.gain })), names),
  };
  writeFileAtomic(join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

function benchmarkName(b: PreparedBenchmark): string {
  if (b.origin === 'given') return resolveDataset(b.dataset).name;
  return b.seed === undefined ? b.origin : `${b.origin}, seed ${b.seed}`;
}

export function readSpuriousSummary(outDir: string): SpuriousSummary {
  const path = join(outDir, 'summary.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SpuriousSummary;
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

export interface SpuriousCharts {
  benchmarks: Array<{ role: BenchmarkRole; name: string }>;
  /** Accuracy per checkpoint (step 0 = the starting model), one series per variant and benchmark. */
  accuracy: Array<{ variant: Variant; benchmark: BenchmarkRole; points: Array<{ step: number; value: number; lo: number; hi: number }> }>;
  /** Code-mode share of the greedy responses per checkpoint, and the accuracy within each mode. */
  modes: Array<{ variant: Variant; benchmark: BenchmarkRole; points: Array<{ step: number; code_share: number; code_accuracy: number | null; prose_accuracy: number | null }> }>;
  /** Final − initial accuracy with its paired CI, per variant and benchmark. */
  gains: Array<{ variant: Variant; benchmark: BenchmarkRole; value: number; lo: number; hi: number; trend: Trend }>;
  /** Training reward (and rollout accuracy against the gold answer) per step, per variant. */
  training: Array<{ variant: Variant; points: TrainingPoint[] }>;
  verdict: string;
}

/** The chart data of a summary (for the HTML report): plain arrays, no nesting of estimates. */
export function spuriousChartData(s: SpuriousSummary): SpuriousCharts {
  return {
    benchmarks: ROLES.map((role) => ({ role, name: s.benchmarks[role].name })),
    accuracy: s.curves.map((c) => ({
      variant: c.variant,
      benchmark: c.benchmark,
      points: c.points.map((p) => ({ step: p.step, value: p.accuracy.value, lo: p.accuracy.ci[0], hi: p.accuracy.ci[1] })),
    })),
    modes: s.curves.map((c) => ({
      variant: c.variant,
      benchmark: c.benchmark,
      points: c.points.map((p) => ({ step: p.step, code_share: p.modes.code_share, code_accuracy: p.modes.accuracy.code, prose_accuracy: p.modes.accuracy.prose })),
    })),
    gains: s.variants.flatMap((v) =>
      ROLES.map((role) => ({ variant: v.variant, benchmark: role, value: v[role].gain.value, lo: v[role].gain.ci[0], hi: v[role].gain.ci[1], trend: v[role].trend })),
    ),
    training: s.variants.map((v) => ({ variant: v.variant, points: v.training })),
    verdict: s.verdict.text,
  };
}
