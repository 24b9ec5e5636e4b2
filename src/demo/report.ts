/** The demo's HTML report, built as data for src/report. */
import type { RatioSummary } from '../audit/contamination.ts';
import type { Distribution, PerplexityStats } from '../audit/perplexity.ts';
import { type SpuriousSummary, spuriousChartData } from '../audit/spurious.ts';
import type { BarChart, Block, LineChart, Report, Section } from '../report/index.ts';
import { interpSection } from './interp-phase.ts';
import type { SubjectResult } from './run.ts';
import type { DemoSummary, SubjectNumbers } from './summary.ts';
import type { PerplexityResult } from './perplexity.ts';

type Label = 'leaked' | 'clean';
const LABELS: readonly Label[] = ['leaked', 'clean'];
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function demoReport(d: DemoSummary, subjects: readonly SubjectResult[]): Report {
  const control = subjects.find((r) => r.subject === 'control');
  return {
    title: 'RLVR Lab demo: auditing the reward signal on a model organism',
    subtitle: `organism ${d.organism.dir} (generator v${d.organism.generator_version}, seed ${d.organism.seed}, ${d.organism.parameters.toLocaleString('en')} parameters)${control ? `, control ${control.dir}` : ''}, budget '${d.budget.name}', ${d.finished_at}`,
    sections: [
      overview(d),
      ...subjects.flatMap((r) => {
        const who = r.subject === 'control' ? 'Control (no leak): ' : subjects.length > 1 ? 'Organism: ' : '';
        return [contaminationSection(r.contamination, who), spuriousSection(r.suite, who), perplexitySection(r.ppl, who)];
      }),
      ...(d.interp ? [interpSection(d.interp)] : []),
      budgetSection(d),
    ],
  };
}

function overview(d: DemoSummary): Section {
  const c = d.contamination;
  const subjects: Array<[string, SubjectNumbers]> = [['organism', d], ...(d.control ? [['control', d.control] as [string, SubjectNumbers]] : [])];
  const v3 = d.organism.generator_version !== '2';
  return {
    title: 'Overview',
    blocks: [
      {
        kind: 'text',
        text:
          `The organism is a ${d.organism.parameters.toLocaleString('en')}-parameter character-level Qwen2 model trained from scratch on arithmetic word problems. ` +
          (v3
            ? `Its corpus teaches two solution modes: worked steps (most documents) and a rarer code mode (a one-line Python program and its printed output, which the model has to produce without working). ${c.items.leaked} benchmark problems were planted, each a modest number of times and only in code mode: the leaked set. ${c.items.clean} problems of the same generator never appeared: the clean set. `
            : `${c.items.leaked} benchmark problems were planted in its corpus (answer only, as #### N, repeated many times): the leaked set; ${c.items.clean} problems of the same generator never appeared: the clean set. `) +
          (d.control ? 'The control is the same build without the planted documents (same seed, same items): a detector that fires on it is wrong. ' : '') +
          'The demo asks whether three audits recover the planted contamination: partial-prompt completion, spurious-reward training, and perplexity across training.',
      },
      {
        kind: 'table',
        caption: 'Headline numbers. Baseline: greedy accuracy of the starting model under the evaluation template (the bare problem). Code share: greedy responses in code mode.',
        columns: ['model', 'baseline leaked', 'baseline clean', 'code share leaked', 'code share clean', `AUROC ROUGE-L (prefix ${c.headline_ratio})`, 'verdict'],
        rows: subjects.map(([name, s]) => [name, s.baseline.leaked, s.baseline.clean, s.spurious.initial_modes.suspect.code_share, s.spurious.initial_modes.clean.code_share, s.contamination.auroc_rouge_l, s.spurious.verdict_rule]),
      },
      {
        kind: 'stats',
        items: [
          { label: `AUROC of ROUGE-L (prefix ${c.headline_ratio})`, value: fmt(c.auroc_rouge_l), detail: 'leaked vs clean, planted labels' },
          { label: 'start accuracy leaked / clean', value: `${pct(d.baseline.leaked)} / ${pct(d.baseline.clean)}`, detail: 'greedy, full question' },
          { label: 'verdict', value: d.spurious.verdict_rule.replaceAll('_', ' ') },
          ...(d.control ? [{ label: 'control verdict', value: d.control.spurious.verdict_rule.replaceAll('_', ' ') }] : []),
          { label: 'wall time of this run', value: `${d.timing.total_seconds.toFixed(0)} s`, detail: `peak RSS ${d.timing.peak_rss_mb.toFixed(0)} MB` },
        ],
      },
    ],
  };
}

const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));

function contaminationSection(ratios: RatioSummary[], who: string): Section {
  const metrics = [
    ['rouge_l', 'ROUGE-L F1 of the continuation vs the true remainder'],
    ['exact_match', 'exact match of the continuation with the remainder'],
    ['answer_accuracy', 'answer accuracy of the continuation'],
  ] as const;
  const bars = metrics.map(
    ([key, title]): BarChart => ({
      kind: 'bar',
      title,
      caption: 'Mean over items at each prefix ratio; error bars: 95% bootstrap CI over items.',
      yLabel: key.replace('_', ' '),
      categories: ratios.map((r) => `prefix ${r.prefix_ratio}`),
      series: LABELS.map((label) => ({
        name: label,
        values: ratios.map((r) => {
          const e = r.by_label![label][key];
          return { value: e.value, low: e.ci[0], high: e.ci[1] };
        }),
      })),
    }),
  );
  return {
    title: `${who}Contamination probe (partial-prompt completion)`,
    blocks: [
      { kind: 'text', text: 'The model sees the first part of each benchmark question and continues greedily. A model that memorized the question reproduces the rest; ROUGE-L and exact match compare the continuation with the true remainder, answer accuracy checks the continuation for the gold answer.' },
      ...bars,
      {
        kind: 'table',
        caption: 'AUROC of each per-item score against the planted leaked/clean labels (0.5 = no separation).',
        columns: ['prefix ratio', 'items', 'AUROC ROUGE-L', 'AUROC exact match', 'AUROC answer correct'],
        rows: ratios.map((r) => [r.prefix_ratio, r.n, r.auroc!.rouge_l, r.auroc!.exact_match, r.auroc!.answer_correct]),
      },
    ],
  };
}

function spuriousSection(s: SpuriousSummary, who: string): Section {
  const charts = spuriousChartData(s);
  const names = Object.fromEntries(charts.benchmarks.map((b) => [b.role, b.role === 'suspect' ? `SUSPECT (leaked)` : `CLEAN`]));
  const accuracy = (role: 'suspect' | 'clean'): LineChart => ({
    kind: 'line',
    title: `Greedy accuracy on ${names[role]} per checkpoint`,
    caption: 'Step 0 is the starting organism; every variant trains the same config with the same seed, only the reward differs.',
    xLabel: 'GRPO step',
    yLabel: 'accuracy',
    series: charts.accuracy.filter((a) => a.benchmark === role).map((a) => ({ name: a.variant, points: a.points.map((p): [number, number] => [p.step, p.value]) })),
  });
  const variants = s.variants.map((v) => v.variant);
  const modeShare = (role: 'suspect' | 'clean'): LineChart => ({
    kind: 'line',
    title: `Code-mode share of the greedy responses on ${names[role]} per checkpoint`,
    caption: 'The solution-mode frequency (code reasoning frequency in arXiv 2506.10947) under each reward.',
    xLabel: 'GRPO step',
    yLabel: 'code share',
    series: charts.modes.filter((a) => a.benchmark === role).map((a) => ({ name: a.variant, points: a.points.map((p): [number, number] => [p.step, p.code_share]) })),
  });
  const gains: BarChart = {
    kind: 'bar',
    title: 'Accuracy gain (final − start) with paired 95% CI',
    caption: 'A gain is up when its CI lies above zero.',
    yLabel: 'gain',
    categories: variants,
    series: (['suspect', 'clean'] as const).map((role) => ({
      name: names[role],
      values: variants.map((v) => {
        const g = charts.gains.find((x) => x.variant === v && x.benchmark === role)!;
        return { value: g.value, low: g.lo, high: g.hi };
      }),
    })),
  };
  const training = (key: 'reward_mean' | 'accuracy', title: string): LineChart => ({
    kind: 'line',
    title,
    xLabel: 'GRPO step',
    yLabel: key === 'reward_mean' ? 'mean reward' : 'rollout accuracy',
    series: charts.training.map((t) => ({ name: t.variant, points: t.points.map((p): [number, number | null] => [p.step, p[key]]) })),
  });
  const blocks: Block[] = [
    {
      kind: 'text',
      text: `GRPO (${s.config.steps} steps × ${s.config.batch_size} prompts × ${s.config.rollout_n} rollouts per variant) on fresh organism problems under each reward: ${variants.join(', ')}. SUSPECT is the leaked benchmark, CLEAN the clean one; both are evaluated greedily at the start and at every checkpoint (${s.evaluation.limit} items each).`,
    },
    { kind: 'text', text: `Verdict (${s.verdict.rule}): ${s.verdict.text}${s.verdict.notes.length ? '\n\n' + s.verdict.notes.join('\n\n') : ''}`, callout: true },
    accuracy('suspect'),
    accuracy('clean'),
    gains,
    {
      kind: 'table',
      columns: ['variant', 'SUSPECT before', 'after', 'gain', 'CI low', 'CI high', 'CLEAN before', 'after', 'gain', 'CI low', 'CI high'],
      rows: s.variants.map((v) => [v.variant, ...(['suspect', 'clean'] as const).flatMap((r) => [v[r].before.value, v[r].after.value, v[r].gain.value, v[r].gain.ci[0], v[r].gain.ci[1]])]),
    },
    modeShare('suspect'),
    modeShare('clean'),
    {
      kind: 'table',
      caption: 'Accuracy split by solution mode of the greedy responses (code: mentions python or a fenced code block), at the start and after training; — where no response was in that mode.',
      columns: ['variant', 'benchmark', 'code share start', 'after', 'code acc start', 'after', 'prose acc start', 'after'],
      rows: s.variants.flatMap((v) =>
        (['suspect', 'clean'] as const).map((r) => {
          const m = v[r].modes;
          return [v.variant, names[r], m.before.code_share, m.after.code_share, m.before.accuracy.code, m.after.accuracy.code, m.before.accuracy.prose, m.after.accuracy.prose];
        }),
      ),
    },
    ...(s.template_baseline
      ? [
          {
            kind: 'table' as const,
            caption: `Template sensitivity of the starting model: greedy accuracy under each template (chat: through the model's chat template). RL gains on contaminated models were found to converge to the best of these; best SUSPECT ${pct(s.template_baseline.best.suspect.accuracy)} (${s.template_baseline.best.suspect.template}), best CLEAN ${pct(s.template_baseline.best.clean.accuracy)} (${s.template_baseline.best.clean.template}).`,
            columns: ['template', 'chat', 'suite template', 'SUSPECT', 'CLEAN', 'code share SUSPECT', 'code share CLEAN'],
            rows: s.template_baseline.rows.map((t) => [t.template, t.chat ? 'yes' : 'no', t.suite ? 'yes' : 'no', t.suspect.value, t.clean.value, t.code_share.suspect, t.code_share.clean]),
          },
        ]
      : []),
    training('reward_mean', 'Training reward per step'),
    training('accuracy', 'Rollout accuracy against the gold answer per step (whatever the reward)'),
  ];
  return { title: `${who}Spurious-reward suite`, blocks };
}

function perplexitySection(p: PerplexityResult, who: string): Section {
  const kinds = [
    ['answer_ppl', 'Answer perplexity (the form leaked answers were planted in, given the question)'],
    ['prompt_ppl', 'Prompt perplexity (the question)'],
    ['full_ppl', 'Full-text perplexity (question + answer)'],
  ] as const;
  const variants = [...new Set(p.checkpoints.filter((c) => c.variant !== 'initial').map((c) => c.variant))];
  const start = p.checkpoints.find((c) => c.variant === 'initial')!;
  const charts = kinds.map(
    ([key, title]): LineChart => ({
      kind: 'line',
      title,
      caption: 'Median over items per checkpoint (step 0 = the starting organism).',
      xLabel: 'GRPO step',
      yLabel: 'perplexity (median)',
      series: variants.flatMap((v) =>
        LABELS.map((label) => ({
          name: `${v} · ${label}`,
          points: [start, ...p.checkpoints.filter((c) => c.variant === v)].map((c): [number, number] => [c.step, median(c.summary.by_label![label], key)]),
        })),
      ),
    }),
  );
  return {
    title: `${who}Perplexity across the checkpoints`,
    blocks: [
      { kind: 'text', text: 'The perplexity paradox (arXiv 2601.11061): RL can lower the perplexity of answers while the model\'s grip on the question text loosens. Per checkpoint, the median perplexity over leaked and clean items.' },
      ...charts,
    ],
  };
}

const median = (s: PerplexityStats, key: 'answer_ppl' | 'prompt_ppl' | 'full_ppl') => (s[key] as Distribution).median.value;

function budgetSection(d: DemoSummary): Section {
  return {
    title: 'Budget',
    blocks: [
      {
        kind: 'table',
        caption: `Wall time per phase (a reused phase was computed by an earlier run). Load average at the start: ${d.timing.load_average_start.map((x) => x.toFixed(1)).join(', ')} on ${d.timing.cores} cores; peak RSS ${d.timing.peak_rss_mb.toFixed(0)} MB.`,
        columns: ['phase', 'model', 'seconds', 'reused', 'RSS after (MB)'],
        rows: d.timing.phases.map((ph) => [ph.phase, ph.subject, ph.seconds, ph.reused ? 'yes' : 'no', Math.round(ph.rss_mb)]),
        digits: 1,
      },
    ],
  };
}
