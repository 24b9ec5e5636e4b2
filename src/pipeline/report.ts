/**
 * OUT/report.html of a pipeline run: the stages with their wall times, the training-dynamics
 * curves of every training stage (reward and accuracy, response length, reflective phrases,
 * language mixing, truncation), and each evaluation's headline numbers, dynamics and, for
 * exploration tasks, success per size with the fitted decay.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalResults } from '../eval/run.ts';
import type { Block, Chart, Report, Section } from '../report/model.ts';
import type { Plan } from './plan.ts';
import type { PipelineReport } from './run.ts';

type Row = Record<string, number | null | undefined>;

function readMetrics(path: string): Row[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row);
}

function curve(title: string, yLabel: string, rows: Row[], keys: Array<[string, string]>, caption?: string): Chart | null {
  const series = keys
    .filter(([key]) => rows.some((r) => typeof r[key] === 'number'))
    .map(([key, name]) => ({ name, points: rows.map((r): [number, number | null] => [r.step as number, typeof r[key] === 'number' ? (r[key] as number) : null]) }));
  return series.length ? { kind: 'line', title, xLabel: 'step', yLabel, series, ...(caption ? { caption } : {}) } : null;
}

function trainingBlocks(rows: Row[]): Block[] {
  return [
    curve('Reward and accuracy', 'mean over the step', rows, [['reward_mean', 'reward'], ['accuracy', 'accuracy (verified)'], ['val_accuracy', 'validation accuracy'], ['loss', 'SFT loss']]),
    curve('Response length', 'tokens', rows, [['response_length_mean', 'mean'], ['response_length_p10', 'p10'], ['response_length_p50', 'p50'], ['response_length_p90', 'p90']], 'R1-Zero reports response length growing as RL proceeds.'),
    curve('Reflection, language mixing, truncation', 'share of responses', rows, [['reflective_rate', 'with a reflective phrase'], ['language_mixing_rate', 'mixing languages'], ['truncated_share', 'truncated']]),
  ].filter((c): c is Chart => c !== null);
}

function evalBlocks(r: EvalResults): Block[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const p1 = r.metrics['pass@1'];
  const blocks: Block[] = [
    {
      kind: 'stats',
      items: [
        { label: 'pass@1', value: pct(p1.value), detail: `95% CI ${pct(p1.ci[0])}–${pct(p1.ci[1])}, ${r.counts.items} items × ${r.counts.samples_per_item}` },
        { label: 'mean length', value: `${r.dynamics.response_length_mean.toFixed(1)} tokens`, detail: `p50 ${r.dynamics.response_length_p50.toFixed(0)}, p90 ${r.dynamics.response_length_p90.toFixed(0)}` },
        { label: 'reflective', value: pct(r.dynamics.reflective_rate), detail: 'responses with a reflective phrase' },
        { label: 'language mixing', value: pct(r.dynamics.language_mixing_rate) },
        { label: 'truncated', value: pct(r.dynamics.truncated_share) },
      ],
    },
  ];
  const ex = r.exploration;
  if (ex) {
    blocks.push({
      kind: 'bar',
      title: `Success by problem size (${ex.tasks.join(', ')})`,
      yLabel: 'share of samples listing exactly the full set',
      categories: ex.by_size.map((s) => String(s.size)),
      series: [{ name: 'success', values: ex.by_size.map((s) => ({ value: s.success_rate.value, low: s.success_rate.ci[0], high: s.success_rate.ci[1] })) }],
      caption: ex.decay
        ? `Fitted success ≈ exp(${ex.decay.a.toFixed(2)} − ${ex.decay.lambda.toFixed(3)}·size); decay rate ${ex.decay.lambda.toFixed(3)}${ex.decay.lambda_ci ? ` (95% CI ${ex.decay.lambda_ci.map((x) => x.toFixed(3)).join('–')})` : ''}.`
        : 'The decay rate is not identifiable from these counts.',
    });
    blocks.push({
      kind: 'table',
      columns: ['size', 'items', 'success', 'completeness', 'valid ratio', 'duplicates / response', 'invalid / response'],
      rows: ex.by_size.map((s) => [s.size, s.items, s.success_rate.value, s.completeness.value, s.valid_ratio.value, s.duplicates_per_response, s.invalid_per_response]),
    });
  }
  return blocks;
}

export function pipelineReport(plan: Plan, run: PipelineReport): Report {
  const sections: Section[] = [
    {
      title: 'Stages',
      blocks: [
        {
          kind: 'table',
          columns: ['stage', 'kind', 'status', 'wall s', 'result'],
          rows: run.stages.map((s) => [s.name, s.kind, s.status, s.wall_s, s.summary]),
          digits: 1,
        },
      ],
    },
  ];
  for (const stage of plan.stages) {
    if (stage.kind === 'sft' || stage.kind === 'grpo') {
      const blocks = trainingBlocks(readMetrics(join(stage.dir, 'metrics.jsonl')));
      if (blocks.length) sections.push({ title: `${stage.name} (${stage.kind})`, blocks });
    } else if (stage.kind === 'eval' && existsSync(stage.outputs.results)) {
      sections.push({ title: `${stage.name} (eval)`, blocks: evalBlocks(JSON.parse(readFileSync(stage.outputs.results, 'utf8')) as EvalResults) });
    }
  }
  return { title: `Pipeline ${plan.name}`, subtitle: plan.source, sections };
}
