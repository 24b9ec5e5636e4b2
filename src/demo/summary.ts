/** demo.json: the demo's headline numbers, timings and output paths, and the one-screen terminal summary. */
import type { RatioSummary } from '../audit/contamination.ts';
import type { SpuriousSummary } from '../audit/spurious.ts';
import type { VerdictRule } from '../audit/spurious-verdict.ts';
import type { DemoBudget } from './budget.ts';
import type { PerplexityResult } from './perplexity.ts';

export interface PhaseTiming {
  phase: 'contamination' | 'spurious' | 'perplexity' | 'report';
  seconds: number;
  reused: boolean;
  /** Resident set size of the process when the phase ended. */
  rss_mb: number;
}

type Pair = { leaked: number; clean: number };

export interface DemoSummary {
  schema: 'rlvr-demo/1';
  finished_at: string;
  organism: { dir: string; seed: number; parameters: number };
  budget: DemoBudget;
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
    variants: Array<{ variant: string; suspect: { before: number; after: number; gain: number; ci: [number, number] }; clean: { before: number; after: number; gain: number; ci: [number, number] } }>;
    verdict_rule: VerdictRule;
    verdict: string;
    summary: string;
  };
  perplexity: {
    /** Median answer perplexity of leaked and clean items at the start and at each variant's last checkpoint. */
    answer_ppl_median: Array<{ variant: string; step: number } & Pair>;
    summary: string;
  };
  timing: { phases: PhaseTiming[]; total_seconds: number; peak_rss_mb: number; cores: number; load_average_start: number[]; load_average_end: number[] };
  report: string;
}

export function headlineRatio(ratios: readonly RatioSummary[]): RatioSummary {
  return ratios.find((r) => r.prefix_ratio === 0.6) ?? ratios[Math.floor(ratios.length / 2)];
}

export function contaminationNumbers(ratios: readonly RatioSummary[], summaryPath: string): DemoSummary['contamination'] {
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

export function spuriousNumbers(s: SpuriousSummary, summaryPath: string): DemoSummary['spurious'] {
  const gain = (g: SpuriousSummary['variants'][number]['suspect']) => ({ before: g.before.value, after: g.after.value, gain: g.gain.value, ci: g.gain.ci });
  return {
    initial: { suspect: s.initial.suspect.value, clean: s.initial.clean.value },
    variants: s.variants.map((v) => ({ variant: v.variant, suspect: gain(v.suspect), clean: gain(v.clean) })),
    verdict_rule: s.verdict.rule,
    verdict: s.verdict.text,
    summary: summaryPath,
  };
}

export function perplexityNumbers(p: PerplexityResult, path: string): DemoSummary['perplexity'] {
  const point = (c: PerplexityResult['checkpoints'][number]) => ({
    variant: c.variant,
    step: c.step,
    leaked: c.summary.by_label!.leaked.answer_ppl.median.value,
    clean: c.summary.by_label!.clean.answer_ppl.median.value,
  });
  const variants = [...new Set(p.checkpoints.map((c) => c.variant))];
  return { answer_ppl_median: variants.map((v) => point(p.checkpoints.filter((c) => c.variant === v).at(-1)!)), summary: path };
}

const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const pct = (x: number) => (100 * x).toFixed(0).padStart(3);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(0)}`;

/** Fits one screen (≤ 24 lines with four variants). */
export function terminalSummary(d: DemoSummary): string {
  const c = d.contamination;
  const cell = (g: DemoSummary['spurious']['variants'][number]['suspect']) => `${pct(g.before)}→${pct(g.after)}% (${signed(g.gain)} [${signed(g.ci[0])}, ${signed(g.ci[1])}])`.padEnd(28);
  const lines = [
    `RLVR Lab demo — organism seed ${d.organism.seed}, ${d.organism.parameters.toLocaleString('en')} parameters, budget '${d.budget.name}'`,
    '',
    `1. contamination probe (prefix ${c.headline_ratio}, ${c.items.leaked} leaked / ${c.items.clean} clean items)`,
    `   ROUGE-L ${f3(c.rouge_l.leaked)} vs ${f3(c.rouge_l.clean)}   exact match ${f3(c.exact_match.leaked)} vs ${f3(c.exact_match.clean)}   answer acc ${f3(c.answer_accuracy.leaked)} vs ${f3(c.answer_accuracy.clean)}`,
    `   AUROC of ROUGE-L vs planted labels: ${f3(c.auroc_rouge_l)}`,
    `2. spurious-reward suite (${d.budget.steps} GRPO steps × ${d.budget.batchSize} prompts × ${d.budget.groupSize} rollouts per variant)`,
    `   ${'variant'.padEnd(16)} ${'leaked: before→after (gain, CI)'.padEnd(28)} clean: before→after (gain, CI)`,
    ...d.spurious.variants.map((v) => `   ${v.variant.padEnd(16)} ${cell(v.suspect)} ${cell(v.clean).trimEnd()}`),
    `   verdict: ${d.spurious.verdict}`,
    `3. median answer perplexity (leaked / clean): ${d.perplexity.answer_ppl_median.map((p) => `${p.variant}@${p.step} ${p.leaked.toFixed(2)} / ${p.clean.toFixed(2)}`).join(', ')}`,
    `time: ${d.timing.phases.map((p) => `${p.phase} ${p.seconds.toFixed(0)} s${p.reused ? ' (reused)' : ''}`).join(', ')}; total ${d.timing.total_seconds.toFixed(0)} s, peak RSS ${d.timing.peak_rss_mb.toFixed(0)} MB`,
    '',
    `report: ${d.report}`,
  ];
  return lines.join('\n') + '\n';
}
