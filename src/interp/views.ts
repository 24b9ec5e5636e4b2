/**
 * Report views of the analyses (sections for src/report): heatmaps over layer × site / condition,
 * curves over layers with their bootstrap CIs and null distributions drawn as bands.
 */
import type { Block, LineChart, Section } from '../report/index.ts';
import type { AblationResult } from './ablation.ts';
import type { AnchorResult } from './anchors.ts';
import { LENS_SITES, type LensSummary } from './lens.ts';
import type { NdeResult } from './nde.ts';
import type { PatchResult } from './patching.ts';
import type { ProbeResult } from './probes.ts';
import type { Interval } from './stats.ts';
import type { SteeringResult } from './steering.ts';

type Series = LineChart['series'][number];

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function curve(name: string, points: Array<[number, Interval]>): Series {
  return {
    name,
    points: points.map(([x, v]) => [x, v.value === null ? null : r3(v.value)]),
    band: points.flatMap(([x, v]) => (v.ci ? [[x, r3(v.ci[0]), r3(v.ci[1])] as [number, number, number]] : [])),
  };
}

const fmt = (v: Interval, digits = 3) => (v.value === null ? '—' : `${v.value.toFixed(digits)}${v.ci ? ` [${v.ci[0].toFixed(digits)}, ${v.ci[1].toFixed(digits)}]` : ''}`);

export function lensSection(s: LensSummary): Section {
  const blocks: Block[] = [{ kind: 'text', text: `Readout: ${s.readout}. Positions: ${s.positions}. Bands: 95% bootstrap CIs over items.` }];
  const groups = [...new Set(s.lens.map((r) => r.group))];
  for (const model of s.models) {
    for (const group of groups) {
      const rows = s.lens.filter((r) => r.model === model && r.group === group);
      const layers = [...new Set(rows.map((r) => r.layer))];
      blocks.push({
        kind: 'heatmap',
        title: `Logit lens, ${model}, ${group} items: gold answer log-prob`,
        xLabel: 'layer',
        yLabel: 'site',
        xCategories: layers.map(String),
        yCategories: [...LENS_SITES],
        cells: rows.map((r) => [layers.indexOf(r.layer), LENS_SITES.indexOf(r.site), r.answer_logprob.value === null ? null : r3(r.answer_logprob.value)]),
        caption: 'Mean over items of the log-probability of each gold answer token at the position predicting it.',
      });
    }
    blocks.push({
      kind: 'line',
      title: `Logit lens on the residual stream (resid_post), ${model}`,
      xLabel: 'layer',
      yLabel: 'gold answer log-prob',
      series: groups.map((g) => curve(g, s.lens.filter((r) => r.model === model && r.group === g && r.site === 'resid_post').map((r) => [r.layer, r.answer_logprob]))),
    });
  }
  return { title: 'Logit lens', blocks };
}

export function jsdSection(s: LensSummary): Section {
  const blocks: Block[] = [{ kind: 'text', text: 'Jensen–Shannon divergence in bits (0 = identical, 1 = disjoint), full vocabulary, final norm applied; at the positions predicting the answer tokens. Bands: 95% CIs over items.' }];
  const groups = [...new Set(s.jsd.consecutive.map((r) => r.group))];
  blocks.push({
    kind: 'line',
    title: 'JSD between consecutive layers (resid_post of l−1 vs l)',
    xLabel: 'layer',
    yLabel: 'JSD (bits)',
    series: s.models.flatMap((m) => groups.map((g) => curve(`${m} · ${g}`, s.jsd.consecutive.filter((r) => r.model === m && r.group === g).map((r) => [r.layer, r.jsd])))),
  });
  blocks.push({
    kind: 'line',
    title: 'JSD across each component (attention: resid_pre→resid_mid; MLP: resid_mid→resid_post)',
    xLabel: 'layer',
    yLabel: 'JSD (bits)',
    series: s.models.flatMap((m) => (['attn', 'mlp'] as const).map((c) => curve(`${m} · ${c}`, s.jsd.components.filter((r) => r.model === m && r.group === 'all' && r.component === c).map((r) => [r.layer, r.jsd])))),
  });
  if (s.jsd.between_models.length > 0) {
    for (const g of groups) {
      const rows = s.jsd.between_models.filter((r) => r.group === g);
      const layers = [...new Set(rows.map((r) => r.layer))];
      blocks.push({
        kind: 'heatmap',
        title: `JSD between ${s.models[0]} and ${s.models[1]} at the same site, ${g} items`,
        xLabel: 'layer',
        yLabel: 'site',
        xCategories: layers.map(String),
        yCategories: [...LENS_SITES],
        cells: rows.map((r) => [layers.indexOf(r.layer), LENS_SITES.indexOf(r.site), r.jsd.value === null ? null : r3(r.jsd.value)]),
      });
    }
  }
  return { title: 'Jensen–Shannon divergence', blocks };
}

export function patchingSection(p: PatchResult): Section {
  const blocks: Block[] = [
    { kind: 'text', text: `Source ${p.source} patched into target ${p.target}. Recovery = (patched − target) / (source − target) of the mean gold-answer log-prob; 1 = the source's behaviour restored. Metric: ${p.metric}.` },
    { kind: 'table', columns: ['group', 'target log-prob', 'source log-prob', 'target accuracy', 'source accuracy'], rows: p.baseline.map((b) => [b.group, fmt(b.target_logprob), fmt(b.source_logprob), fmt(b.target_accuracy), fmt(b.source_accuracy)]) },
  ];
  const groups = [...new Set(p.cells.map((c) => c.group))];
  for (const g of groups) {
    const cells = p.cells.filter((c) => c.group === g);
    const layers = [...new Set(cells.map((c) => c.layer))];
    const rowsY = [...new Set(cells.map((c) => `${c.site} · ${c.positions}`))];
    blocks.push({
      kind: 'heatmap',
      title: `Patching recovery, ${g} items`,
      xLabel: 'layer',
      yLabel: 'site · positions',
      xCategories: layers.map(String),
      yCategories: rowsY,
      diverging: true,
      cells: cells.map((c) => [layers.indexOf(c.layer), rowsY.indexOf(`${c.site} · ${c.positions}`), c.recovery === null ? null : r3(c.recovery)]),
    });
    const withNull = cells.filter((c) => c.null);
    for (const key of [...new Set(withNull.map((c) => `${c.site}|${c.positions}`))]) {
      const [site, positions] = key.split('|');
      const cs = withNull.filter((c) => c.site === site && c.positions === positions);
      blocks.push({
        kind: 'line',
        title: `Recovery of ${site} (${positions} positions) vs the random-direction null, ${g} items`,
        xLabel: 'layer',
        yLabel: 'recovery',
        series: [
          curve('patched from source', cs.map((c) => [c.layer, { value: c.recovery, ci: c.ci }])),
          { name: 'null (mean, band to 95th pct)', points: cs.map((c) => [c.layer, r3(c.null!.mean)]), band: cs.map((c) => [c.layer, r3(Math.min(c.null!.mean, c.null!.p95)), r3(Math.max(c.null!.mean, c.null!.p95))]) },
        ],
      });
    }
  }
  return { title: 'Activation patching', blocks };
}

export function ablationSection(a: AblationResult): Section {
  const blocks: Block[] = [
    { kind: 'text', text: `Weight ablations on ${a.rl} against ${a.base}. Gap removed = (RL − ablated) / (RL − base) of the mean gold-answer log-prob (1 = the RL model's advantage gone).` },
    { kind: 'table', columns: ['group', 'RL log-prob', 'base log-prob', 'RL accuracy', 'base accuracy'], rows: a.baseline.map((b) => [b.group, fmt(b.rl_logprob), fmt(b.base_logprob), fmt(b.rl_accuracy), fmt(b.base_accuracy)]) },
  ];
  for (const g of [...new Set(a.rows.map((r) => r.group))]) {
    const rows = a.rows.filter((r) => r.group === g);
    const layers = [...new Set(rows.map((r) => r.layer))];
    const ys = [...new Set(rows.map((r) => `${r.kind} · ${r.part}`))];
    blocks.push({
      kind: 'heatmap',
      title: `Fraction of the RL − base gap removed, ${g} items`,
      xLabel: 'layer',
      yLabel: 'ablation',
      xCategories: layers.map(String),
      yCategories: ys,
      diverging: true,
      cells: rows.map((r) => [layers.indexOf(r.layer), ys.indexOf(`${r.kind} · ${r.part}`), r.gap_removed.value === null ? null : r3(r.gap_removed.value)]),
    });
    blocks.push({ kind: 'table', caption: `${g} items`, columns: ['ablation', 'part', 'layer', 'Δ log-prob vs RL', 'Δ accuracy vs RL', 'gap removed'], rows: rows.map((r) => [r.kind, r.part, r.layer, fmt(r.delta_logprob), fmt(r.delta_accuracy), fmt(r.gap_removed)]) });
  }
  return { title: 'Ablations', blocks };
}

export function probesSection(p: ProbeResult): Section {
  return {
    title: 'Linear probes',
    blocks: [
      { kind: 'text', text: `${p.features}; ${p.items} items (${p.positives} positive), ${p.repeats}× stratified ${p.folds}-fold CV, C = ${p.c}. Layer −1 is the embedding. Null: label permutations (${p.correction}-adjusted p in the table).` },
      {
        kind: 'line',
        title: 'Cross-validated AUROC per layer',
        xLabel: 'layer',
        yLabel: 'AUROC',
        series: [
          curve('probe', p.layers.map((l) => [l.layer, l.auroc])),
          { name: 'permutation null (mean, band to 95th pct)', points: p.layers.map((l) => [l.layer, r3(l.null.mean)]), band: p.layers.map((l) => [l.layer, r3(Math.min(l.null.mean, l.null.p95)), r3(Math.max(l.null.mean, l.null.p95))]) },
        ],
      },
      { kind: 'table', columns: ['layer', 'AUROC [95% CI]', 'null mean', 'p', 'p adjusted'], rows: p.layers.map((l) => [l.layer, fmt(l.auroc), l.null.mean, l.null.p, l.null.p_adjusted ?? null]) },
    ],
  };
}

export function steeringSection(s: SteeringResult): Section {
  const layers = s.layers.map((l) => l.layer);
  const factors = s.layers[0]?.factors.map((f) => f.factor) ?? [];
  const ranked = [...s.layers].sort((a, b) => Math.abs(b.factors[0]?.delta_logprob.value ?? 0) - Math.abs(a.factors[0]?.delta_logprob.value ?? 0)).slice(0, 3);
  return {
    title: 'Neuron steering',
    blocks: [
      { kind: 'text', text: `Top ${s.k} neurons of mlp.hook_post per layer by the ${s.score} score (λ = ${s.lambda}), selected on ${s.selection_ids.length} items and scaled at every position on ${s.evaluation_ids.length} other items. Effects are paired changes against factor 1 (baseline log-prob ${s.baseline.logprob.toFixed(3)}, accuracy ${s.baseline.accuracy.toFixed(3)}).` },
      {
        kind: 'heatmap',
        title: 'Change of the gold answer log-prob when scaling the selected neurons',
        xLabel: 'factor',
        yLabel: 'layer',
        xCategories: factors.map(String),
        yCategories: layers.map(String),
        diverging: true,
        cells: s.layers.flatMap((l, li) => l.factors.map((f, fi) => [fi, li, f.delta_logprob.value === null ? null : r3(f.delta_logprob.value)] as [number, number, number | null])),
      },
      ...ranked.map(
        (l): Block => ({
          kind: 'line',
          title: `Layer ${l.layer}: selected neurons vs magnitude-matched random neurons`,
          xLabel: 'factor',
          yLabel: 'Δ gold answer log-prob',
          series: [
            curve('selected', l.factors.map((f) => [f.factor, f.delta_logprob])),
            { name: 'random neurons, same layer (95% band)', points: l.factors.map((f) => [f.factor, r3(f.null_neurons.mean)]), band: l.factors.map((f) => [f.factor, r3(f.null_neurons.band[0]), r3(f.null_neurons.band[1])]) },
            { name: 'random neurons, random layer (95% band)', points: l.factors.map((f) => [f.factor, r3(f.null_layers.mean)]), band: l.factors.map((f) => [f.factor, r3(f.null_layers.band[0]), r3(f.null_layers.band[1])]) },
          ],
        }),
      ),
      {
        kind: 'table',
        columns: ['layer', 'factor', 'Δ log-prob', 'Δ accuracy', `p (neurons, ${s.correction})`, `p (layers, ${s.correction})`],
        rows: s.layers.flatMap((l) => l.factors.map((f) => [l.layer, f.factor, fmt(f.delta_logprob), fmt(f.delta_accuracy), f.null_neurons.p_adjusted ?? f.null_neurons.p, f.null_layers.p_adjusted ?? f.null_layers.p])),
      },
    ],
  };
}

export function ndeSection(n: NdeResult): Section {
  return {
    title: 'Neural ODE over layers (correlational)',
    blocks: [
      { kind: 'text', text: `Correlational evidence only. Trained on ${n.train_items} items, held out ${n.held_out_items}: held-out accuracy ${fmt(n.held_out_accuracy)}, AUROC ${n.held_out_auroc?.toFixed(3) ?? '—'} (training accuracy ${n.train_accuracy.toFixed(3)}). t = 0 is the embedding, t = l + 1 the output of layer l.`, callout: true },
      { kind: 'line', title: 'Separation force and latent distance between the groups', xLabel: 't', yLabel: 'norm', series: [curve('separation force', n.force.map((f) => [f.t, f.force])), curve('latent distance', n.force.map((f) => [f.t, f.distance]))] },
    ],
  };
}

export function anchorsSection(a: AnchorResult): Section {
  return {
    title: 'Anchor and adapter layers',
    blocks: [
      { kind: 'text', text: `Rule (${a.group} items): ${a.rule.text}. Anchors: ${a.anchors.length ? a.anchors.join(', ') : 'none'}; adapters: ${a.adapters.length ? a.adapters.join(', ') : 'none'}.${a.notes.length ? `\n\n${a.notes.join('\n\n')}` : ''}`, callout: true },
      { kind: 'table', columns: ['layer', 'role', 'MLP patching recovery [95% CI]', 'null 95th pct', 'p adjusted', 'gap removed by MLP reset [95% CI]', 'base-vs-RL JSD at mlp_out', 'relative MLP weight change'], rows: a.layers.map((l) => [l.layer, l.role, fmt({ value: l.recovery, ci: l.recovery_ci }), l.null_p95, l.p_adjusted, l.necessity ? fmt(l.necessity) : null, l.mlp_jsd ? fmt(l.mlp_jsd) : null, l.weight_change]) },
    ],
  };
}
