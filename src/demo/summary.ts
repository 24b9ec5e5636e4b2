/** demo.json: the demo's headline numbers, timings and output paths, and the one-screen terminal summary. */
import { join } from 'node:path';
import type { RatioSummary } from '../audit/contamination.ts';
import type { SpuriousSummary } from '../audit/spurious.ts';
import type { VerdictRule } from '../audit/spurious-verdict.ts';
import type { DemoBudget } from './budget.ts';
import type { InterpNumbers } from './interp-phase.ts';
import type { PerplexityResult } from './perplexity.ts';
import type { SubjectResult } from './run.ts';

export interface PhaseTiming {
  phase: 'contamination' | 'spurious' | 'perplexity' | 'interp' | 'report';
  /** Which model the phase ran on (the report covers both). */
  subject: 'organism' | 'control' | 'both';
  seconds: number;
  reused: boolean;
  /** Resident set size of the process when the phase ended. */
  rss_mb: number;
}

type Pair = { leaked: number; clean: number };

type Gain = { before: number; after: number; gain: number; ci: [number, number]; code_share_before: number; code_share_after: number };

/** The numbers of one audited model (the organism, or the control under `control`). */
export interface SubjectNumbers {
  organism: { dir: string; seed: number; parameters: number; generator_version: string; leak: boolean };
  /** Greedy accuracy of the starting model under the evaluation template (the suite's step 0). */
  baseline: Pair;
  contamination: {
    items: Pair;
    /** The ratio the headline numbers are taken at (0.6 when probed, the paper's default). */
    headline_ratio: number;
    rouge_l: Pair;
    exact_match: Pair;
    answer_accuracy: Pair;
    auroc_rouge_l: number | null;
    summary: string;
  };
  spurious: {
    initial: { suspect: number; clean: number };
    /** Code-mode share of the starting model's greedy responses and its accuracy by mode. */
    initial_modes: { suspect: ModeNumbers; clean: ModeNumbers };
    /** Best greedy accuracy of the starting model over the templates (where RL gains were found to converge). */
    best_template: { suspect: { template: string; chat: boolean; accuracy: number }; clean: { template: string; chat: boolean; accuracy: number } } | null;
    variants: Array<{ variant: string; suspect: Gain; clean: Gain }>;
    verdict_rule: VerdictRule;
    verdict: string;
    notes: string[];
    summary: string;
  };
  perplexity: {
    /** Median answer perplexity of leaked and clean items at the start and at each variant's last checkpoint. */
    answer_ppl_median: Array<{ variant: string; step: number } & Pair>;
    /** Median prompt (question) perplexity, same points. */
    prompt_ppl_median: Array<{ variant: string; step: number } & Pair>;
    summary: string;
  };
}

type ModeNumbers = { code_share: number; code_accuracy: number | null; prose_accuracy: number | null };

export interface DemoSummary extends SubjectNumbers {
  schema: 'rlvr-demo/1';
  finished_at: string;
  budget: DemoBudget;
  /** The negative control's numbers, when one was audited. */
  control?: SubjectNumbers;
  /** The interp phase on the organism (absent with --no-interp). */
  interp?: InterpNumbers;
  timing: { phases: PhaseTiming[]; total_seconds: number; peak_rss_mb: number; cores: number; load_average_start: number[]; load_average_end: number[] };
  report: string;
}

export function headlineRatio(ratios: readonly RatioSummary[]): RatioSummary {
  return ratios.find((r) => r.prefix_ratio === 0.6) ?? ratios[Math.floor(ratios.length / 2)];
}

export function contaminationNumbers(ratios: readonly RatioSummary[], summaryPath: string): SubjectNumbers['contamination'] {
  const h = headlineRatio(ratios);
  const pair = (key: 'rouge_l' | 'exact_match' | 'answer_accuracy'): Pair => ({ leaked: h.by_label!.leaked[key].value, clean: h.by_label!.clean[key].value });
  return {
    items: { leaked: h.by_label!.leaked.n, clean: h.by_label!.clean.n },
    headline_ratio: h.prefix_ratio,
    rouge_l: pair('rouge_l'),
    exact_match: pair('exact_match'),
    answer_accuracy: pair('answer_accuracy'),
    auroc_rouge_l: h.auroc!.rouge_l,
    summary: summaryPath,
  };
}

export function spuriousNumbers(s: SpuriousSummary, summaryPath: string): SubjectNumbers['spurious'] {
  const gain = (g: SpuriousSummary['variants'][number]['suspect']): Gain => ({
    before: g.before.value,
    after: g.after.value,
    gain: g.gain.value,
    ci: g.gain.ci,
    code_share_before: g.modes.before.code_share,
    code_share_after: g.modes.after.code_share,
  });
  const modes = (m: SpuriousSummary['initial_modes']['suspect']): ModeNumbers => ({ code_share: m.code_share, code_accuracy: m.accuracy.code, prose_accuracy: m.accuracy.prose });
  return {
    initial: { suspect: s.initial.suspect.value, clean: s.initial.clean.value },
    initial_modes: { suspect: modes(s.initial_modes.suspect), clean: modes(s.initial_modes.clean) },
    best_template: s.template_baseline?.best ?? null,
    variants: s.variants.map((v) => ({ variant: v.variant, suspect: gain(v.suspect), clean: gain(v.clean) })),
    verdict_rule: s.verdict.rule,
    verdict: s.verdict.text,
    notes: s.verdict.notes,
    summary: summaryPath,
  };
}

export function perplexityNumbers(p: PerplexityResult, path: string): SubjectNumbers['perplexity'] {
  const point = (c: PerplexityResult['checkpoints'][number], key: 'answer_ppl' | 'prompt_ppl') => ({
    variant: c.variant,
    step: c.step,
    leaked: c.summary.by_label!.leaked[key].median.value,
    clean: c.summary.by_label!.clean[key].median.value,
  });
  const variants = [...new Set(p.checkpoints.map((c) => c.variant))];
  const last = variants.map((v) => p.checkpoints.filter((c) => c.variant === v).at(-1)!);
  return { answer_ppl_median: last.map((c) => point(c, 'answer_ppl')), prompt_ppl_median: last.map((c) => point(c, 'prompt_ppl')), summary: path };
}

export function subjectNumbers(r: SubjectResult): SubjectNumbers {
  return {
    organism: { dir: r.dir, seed: r.manifest.seed, parameters: r.manifest.parameters, generator_version: r.manifest.generator_version, leak: r.manifest.leak ?? true },
    baseline: { leaked: r.suite.initial.suspect.value, clean: r.suite.initial.clean.value },
    contamination: contaminationNumbers(r.contamination, join(r.out, 'contamination', 'summary.json')),
    spurious: spuriousNumbers(r.suite, join(r.out, 'spurious', 'summary.json')),
    perplexity: perplexityNumbers(r.ppl, join(r.out, 'perplexity', 'perplexity.json')),
  };
}

const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const pct = (x: number) => (100 * x).toFixed(0).padStart(3);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(0)}`;

/** Fits one screen (≤ 24 lines with six variants): the organism and its control side by side. */
export function terminalSummary(d: DemoSummary): string {
  const subjects: Array<[string, SubjectNumbers]> = [['organism', d], ...(d.control ? [['control', d.control] as [string, SubjectNumbers]] : [])];
  const cell = (g: Gain) => `${signed(g.gain)} [${signed(g.ci[0])}, ${signed(g.ci[1])}]`.padEnd(15);
  const row = (variant: string) =>
    `   ${variant.padEnd(16)}` +
    subjects
      .map(([, s]) => {
        const v = s.spurious.variants.find((x) => x.variant === variant);
        return v ? `${cell(v.suspect)} ${cell(v.clean)} ${pct(v.suspect.code_share_after)}%` : '';
      })
      .join(' | ');
  const o = d.organism;
  const lines = [
    `RLVR Lab demo — organism v${o.generator_version} seed ${o.seed}, ${o.parameters.toLocaleString('en')} parameters${d.control ? ', and its no-leak control' : ''}; budget '${d.budget.name}'`,
    '',
    ...subjects.map(([name, s]) => `${name.padEnd(9)} greedy accuracy leaked ${pct(s.baseline.leaked)}% / clean ${pct(s.baseline.clean)}%; code mode ${pct(s.spurious.initial_modes.suspect.code_share)}% / ${pct(s.spurious.initial_modes.clean.code_share)}%`),
    `1. contamination probe (prefix ${d.contamination.headline_ratio}, ${d.contamination.items.leaked} leaked / ${d.contamination.items.clean} clean items): ROUGE-L leaked vs clean, AUROC`,
    ...subjects.map(([name, s]) => `   ${name.padEnd(9)} ${f3(s.contamination.rouge_l.leaked)} vs ${f3(s.contamination.rouge_l.clean)}, AUROC ${f3(s.contamination.auroc_rouge_l)}`),
    `2. spurious-reward suite (${d.budget.steps} GRPO steps × ${d.budget.batchSize} prompts × ${d.budget.groupSize} rollouts per variant): gain pts [95% CI]`,
    `   ${'variant'.padEnd(16)}${subjects.map(([name]) => `${(name + ': leaked').padEnd(15)} ${'clean'.padEnd(15)} code`).join(' | ')}`,
    ...d.spurious.variants.map((v) => row(v.variant)),
    ...subjects.map(([name, s]) => `   ${name} verdict: ${s.spurious.verdict_rule}`),
    `3. median answer perplexity leaked / clean (start → ground truth): ${subjects.map(([name, s]) => `${name} ${ppl(s, 'initial')} → ${ppl(s, 'ground_truth')}`).join('; ')}`,
    ...(d.interp ? [`4. where the change lives (base vs ${d.interp.variant}, ${d.interp.items.leaked} leaked items): anchor layers ${d.interp.anchors.join(', ') || 'none'}, adapters ${d.interp.adapters.join(', ') || 'none'}; ${d.interp.wall_s.toFixed(0)} s`] : []),
    `time: ${d.timing.phases.map((p) => `${p.phase}${p.subject === 'control' ? ' (control)' : ''} ${p.seconds.toFixed(0)} s${p.reused ? ' (reused)' : ''}`).join(', ')}; total ${d.timing.total_seconds.toFixed(0)} s, peak RSS ${d.timing.peak_rss_mb.toFixed(0)} MB`,
    '',
    `report: ${d.report}`,
  ];
  return lines.join('\n') + '\n';
}

function ppl(s: SubjectNumbers, variant: string): string {
  const p = s.perplexity.answer_ppl_median.find((x) => x.variant === variant);
  return p ? `${p.leaked.toFixed(2)} / ${p.clean.toFixed(2)}` : '—';
}
