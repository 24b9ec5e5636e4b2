/**
 * The demo's interp phase: where the change lives in the organism after the spurious-reward
 * variant that moved leaked accuracy most — base (the organism) vs that variant's last checkpoint,
 * on the leaked items (the lens and JSD also on as many clean items). Written to OUT/interp/:
 * logit_lens.json, jsd.json, patching.json, ablation.json, anchors.json, steering.json,
 * report.html and interp.json (this phase's result; reused when rerun with the same settings).
 *
 * Limits (all in INTERP_LIMITS, recorded in the output): at most `items` leaked and `items` clean
 * items; patching of attn_out / mlp_out / resid_post at all positions, the random-direction null
 * (⌈L/α⌉ draws, the fewest with which a Holm-adjusted p can reach α) only on the MLP outputs that
 * reach the rule's recovery threshold and whose MLP reset passes its necessity check; MLP and
 * attention resets (no randomized or keep-only ablations); steering of one layer at factor 0
 * against `steeringNullSets` magnitude-matched random neuron sets, skipped when the phase has
 * already used `cpuSeconds` of CPU. Probes and the NDE (correlational, and they found nothing on
 * the organism) are left to `rlvr interp`.
 */
import { phaseTimer } from '../bench/timing.ts';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../organism/build.ts';
import { runCheckpoints } from '../audit/checkpoints.ts';
import type { SpuriousSummary } from '../audit/spurious.ts';
import { type AblationResult, runAblations } from '../interp/ablation.ts';
import { type AnchorLayer, DEFAULT_RULE, identifyAnchors, mlpWeightChange } from '../interp/anchors.ts';
import { DEFAULT_CONTEXT, loadInterpItems } from '../interp/items.ts';
import { runLens } from '../interp/lens.ts';
import { type PatchResult, runPatching } from '../interp/patching.ts';
import { loadModel, SCHEMA, writeJson, writeSections } from '../interp/run.ts';
import type { Interval } from '../interp/stats.ts';
import { runSteering } from '../interp/steering.ts';
import { ablationSection, anchorsSection, jsdSection, lensSection, patchingSection, steeringSection } from '../interp/views.ts';
import type { BarChart, Section } from '../report/index.ts';
import { cachedPhase } from './cache.ts';

/**
 * `cpuSeconds`: CPU time (this process, ONNX Runtime threads included) after which steering is
 * skipped — CPU rather than wall time so that the phase's content does not depend on what else
 * the machine runs; the whole phase costs ~20 CPU s on the bundled organism.
 */
export const INTERP_LIMITS = { items: 40, steeringNullSets: 20, steeringK: 10, cpuSeconds: 60, seed: 0 };

/** Variants that are controls rather than spurious rewards: not chosen for the phase while a spurious one exists. */
const CONTROLS = new Set(['ground_truth', 'inverted']);

export interface InterpNumbers {
  variant: string;
  /** Its gain in greedy accuracy on the leaked items (the suite's), which chose it. */
  leaked_gain: number;
  checkpoint: string;
  /** The teacher-forced text before each answer. */
  context: string;
  items: { leaked: number; clean: number; available_leaked: number; available_clean: number };
  /** Leaked items, teacher forced after the memorized format: mean answer log-prob and greedy accuracy. */
  behaviour: { base: { logprob: Interval; accuracy: Interval }; rl: { logprob: Interval; accuracy: Interval } };
  anchors: number[];
  adapters: number[];
  rule: string;
  layers: Array<AnchorLayer & { attn_reset_gap_removed: Interval | null }>;
  /** The three patched sites that recover most of the RL − base gap (RL → base, all positions). */
  patching_top: Array<{ layer: number; site: string; recovery: number | null; ci: [number, number] | null; null_p95: number | null; p_adjusted: number | null }>;
  steering:
    | { layer: number; k: number; factor: 0; items: number; delta_logprob: Interval; delta_accuracy: Interval; null_sets: number; null_band: [number, number]; p: number; note: string }
    | { skipped: string };
  notes: string[];
  limits: typeof INTERP_LIMITS;
  timings: Record<string, number>;
  wall_s: number;
  /** CPU seconds of the process during the phase (user + system, all threads). */
  cpu_s: number;
  report: string;
}

interface InterpPhaseOutput {
  config: { schema: string; base: string; checkpoint: string; checkpoint_stamp: string; variant: string; limits: typeof INTERP_LIMITS; leaked: string; clean: string; context: string };
  numbers: InterpNumbers;
}

/**
 * The text each item is teacher forced in: the form the organism memorized its leaked answers in.
 * v2 planted `{problem}\n#### N`; v3 planted only its code mode, so the context is the problem's
 * program and `Output: ` — its printed output (the answer) is what a leaked item has memorized
 * and a clean one has to compute (hard for the organism by design).
 */
export function organismContext(generatorVersion: string): string {
  return generatorVersion === '2' ? DEFAULT_CONTEXT : '{problem}\n```python\nprint({expression})\n```\nOutput: ';
}

/** The variant whose leaked accuracy moved most (largest |gain|, first on ties), spurious rewards before controls. */
export function chooseVariant(suite: SpuriousSummary): SpuriousSummary['variants'][number] | null {
  const spurious = suite.variants.filter((v) => !CONTROLS.has(v.variant));
  const pool = spurious.length > 0 ? spurious : suite.variants;
  let best: SpuriousSummary['variants'][number] | null = null;
  for (const v of pool) if (!best || Math.abs(v.suspect.gain.value) > Math.abs(best.suspect.gain.value)) best = v;
  return best;
}

export async function interpPhase(organismDir: string, suite: SpuriousSummary, out: string, o: { quiet?: boolean; limits?: typeof INTERP_LIMITS } = {}): Promise<{ result: InterpNumbers; reused: boolean }> {
  const chosen = chooseVariant(suite);
  if (!chosen) throw new Error('interp phase: the spurious suite has no variant');
  return interpOnCheckpoint(organismDir, runCheckpoints(chosen.run_dir).at(-1)!.dir, chosen.variant, chosen.suspect.gain.value, out, o);
}

/** The phase on a given checkpoint (`rlvr bench interp` times it on a stand-in checkpoint). */
export async function interpOnCheckpoint(organismDir: string, checkpoint: string, variant: string, gain: number, out: string, o: { quiet?: boolean; limits?: typeof INTERP_LIMITS } = {}): Promise<{ result: InterpNumbers; reused: boolean }> {
  const limits = o.limits ?? INTERP_LIMITS;
  const stamp = statSync(join(checkpoint, 'model.safetensors'));
  const manifest = readManifest(organismDir, '--organism', 'demo');
  const config: InterpPhaseOutput['config'] = {
    schema: SCHEMA,
    base: organismDir,
    checkpoint,
    checkpoint_stamp: `${stamp.size}@${stamp.mtimeMs}`,
    variant,
    limits,
    leaked: join(organismDir, 'leaked.jsonl'),
    clean: join(organismDir, 'clean.jsonl'),
    context: organismContext(manifest.generator_version),
  };
  const { result, reused } = await cachedPhase(join(out, 'interp.json'), config, async () => ({ config, numbers: await analyse(config, gain, out, o.quiet ?? false) }));
  return { result: result.numbers, reused };
}

async function analyse(c: InterpPhaseOutput['config'], gain: number, out: string, quiet: boolean): Promise<InterpNumbers> {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const limits = c.limits;
  const timings: Record<string, number> = {};
  const timed = phaseTimer(timings);
  const base = loadModel(c.base, 'organism');
  const rl = loadModel(c.checkpoint, 'checkpoint');
  const allLeaked = await loadInterpItems(base, c.leaked, { context: c.context });
  const allClean = await loadInterpItems(base, c.clean, { context: c.context });
  const leaked = allLeaked.slice(0, limits.items);
  const clean = allClean.slice(0, limits.items);
  const L = base.config.numLayers;
  const seed = limits.seed;
  const rule = DEFAULT_RULE;
  const head = (analysis: string, items: number) => ({ schema: SCHEMA, analysis, models: { base: c.base, rl: c.checkpoint }, variant: c.variant, items, limits });

  const lens = await timed('logit_lens_jsd', () => runLens([{ name: 'base', lm: base }, { name: 'rl', lm: rl }], [...leaked, ...clean], () => {}, { seed, quiet }));
  writeJson(join(out, 'logit_lens.json'), { ...head('logit-lens', leaked.length + clean.length), readout: lens.readout, positions: lens.positions, lens: lens.lens });
  writeJson(join(out, 'jsd.json'), { ...head('jsd', leaked.length + clean.length), jsd: lens.jsd });
  // ablations first: a layer whose MLP reset removes too little cannot be an anchor, so patching
  // draws its (costly) null only at the layers that pass the necessity check
  const ablation: AblationResult = await timed('ablation', () => runAblations(rl, base, leaked, { kinds: ['reset'], parts: ['mlp', 'attn'], seed, quiet }));
  writeJson(join(out, 'ablation.json'), { ...head('ablate', leaked.length), ...ablation });
  const gapOf = (part: 'mlp' | 'attn', layer: number) => ablation.rows.find((r) => r.group === 'leaked' && r.kind === 'reset' && r.part === part && r.layer === layer)?.gap_removed ?? null;
  const necessary = Array.from({ length: L }, (_, l) => l).filter((l) => {
    const g = gapOf('mlp', l);
    return g?.value != null && g.ci !== null && g.value >= rule.min_necessity && g.ci[0] > 0;
  });
  const patch: PatchResult = await timed('patching', () =>
    runPatching(base, rl, leaked, { sites: ['attn_out', 'mlp_out', 'resid_post'], positions: ['all'], nullSites: ['mlp_out'], nullDraws: Math.ceil(L / rule.alpha), nullMinRecovery: rule.min_recovery, nullLayers: necessary, seed, quiet }),
  );
  writeJson(join(out, 'patching.json'), { ...head('patch', leaked.length), ...patch });
  const anchors = identifyAnchors(patch, lens, Array.from({ length: L }, (_, l) => mlpWeightChange(rl, base, l)), rule, 'leaked', ablation);
  writeJson(join(out, 'anchors.json'), { ...head('anchors', leaked.length), ...anchors });

  // steering: the first anchor, else the layer whose MLP reset removes most of the gap
  const byNecessity = Array.from({ length: L }, (_, l) => l).sort((a, b) => (gapOf('mlp', b)?.value ?? -Infinity) - (gapOf('mlp', a)?.value ?? -Infinity));
  const steerLayer = anchors.anchors[0] ?? byNecessity[0];
  const spent = process.cpuUsage(cpu0);
  const used = (spent.user + spent.system) / 1e6;
  let steering: InterpNumbers['steering'];
  const sections: Section[] = [anchorsSection(anchors), patchingSection(patch), ablationSection(ablation), lensSection(lens), jsdSection(lens)];
  if (used > limits.cpuSeconds) {
    steering = { skipped: `the phase had used ${used.toFixed(0)} s of CPU, its limit ${limits.cpuSeconds} s, before steering` };
  } else {
    const s = await timed('steering', () => runSteering(rl, leaked, { layers: [steerLayer], factors: [0], k: limits.steeringK, nullSets: limits.steeringNullSets, seed, quiet }));
    writeJson(join(out, 'steering.json'), { ...head('steer', leaked.length), ...s });
    sections.push(steeringSection(s));
    const f = s.layers[0].factors[0];
    steering = {
      layer: steerLayer,
      k: s.k,
      factor: 0,
      items: s.evaluation_ids.length,
      delta_logprob: f.delta_logprob,
      delta_accuracy: f.delta_accuracy,
      null_sets: f.null_neurons.sets,
      null_band: f.null_neurons.band,
      p: f.null_neurons.p,
      note: `zeroing the top ${s.k} neurons (magnitude score, chosen on ${s.selection_ids.length} other leaked items) of layer ${steerLayer}'s MLP in the RL model; null: ${f.null_neurons.sets} magnitude-matched random sets of the same layer (two-sided p ≥ ${(1 / (f.null_neurons.sets + 1)).toFixed(3)} by construction)`,
    };
  }
  const report = writeSections(out, 'report.html', 'Where the change lives', `${c.base} vs ${c.checkpoint} (${c.variant})`, sections);
  const leakedBase = patch.baseline.find((b) => b.group === 'leaked')!;
  const notes = [...anchors.notes];
  if (allLeaked.length > leaked.length || allClean.length > clean.length) notes.push(`subsampled: the first ${leaked.length} of ${allLeaked.length} leaked and ${clean.length} of ${allClean.length} clean items (phase limit ${limits.items} each)`);
  const top = patch.cells
    .filter((x) => x.group === 'leaked' && x.recovery !== null)
    .sort((a, b) => b.recovery! - a.recovery!)
    .slice(0, 3)
    .map((x) => ({ layer: x.layer, site: x.site, recovery: x.recovery, ci: x.ci, null_p95: x.null?.p95 ?? null, p_adjusted: x.null?.p_adjusted ?? null }));
  return {
    variant: c.variant,
    leaked_gain: gain,
    checkpoint: c.checkpoint,
    context: c.context,
    items: { leaked: leaked.length, clean: clean.length, available_leaked: allLeaked.length, available_clean: allClean.length },
    behaviour: { base: { logprob: leakedBase.target_logprob, accuracy: leakedBase.target_accuracy }, rl: { logprob: leakedBase.source_logprob, accuracy: leakedBase.source_accuracy } },
    anchors: anchors.anchors,
    adapters: anchors.adapters,
    rule: anchors.rule.text,
    layers: anchors.layers.map((l) => ({ ...l, attn_reset_gap_removed: gapOf('attn', l.layer) })),
    patching_top: top,
    steering,
    notes,
    limits,
    timings,
    wall_s: (Date.now() - started) / 1000,
    cpu_s: ((u) => (u.user + u.system) / 1e6)(process.cpuUsage(cpu0)),
    report,
  };
}

const ci = (x: Interval | null) => (x?.value == null ? '—' : `${x.value.toFixed(2)}${x.ci ? ` [${x.ci[0].toFixed(2)}, ${x.ci[1].toFixed(2)}]` : ''}`);

/** The demo report's section. */
export function interpSection(n: InterpNumbers): Section {
  const st = n.steering;
  return {
    title: 'Where the change lives (interpretability)',
    blocks: [
      {
        kind: 'text',
        text:
          `Base = the organism, RL = the last checkpoint of the '${n.variant}' variant (leaked-accuracy gain ${(100 * n.leaked_gain).toFixed(0)} points, the largest move among the spurious rewards). ` +
          `On ${n.items.leaked} leaked items (lens and JSD also on ${n.items.clean} clean ones), each teacher forced in the form its answer was planted in (${JSON.stringify(n.context)}): the RL model's activations are patched into the base one site at a time (recovery = share of the RL − base gap in answer log-prob reproduced), and each layer's MLP or attention weights of the RL model are reset to the base's (gap removed). ` +
          `The anchor rule: ${n.rule}.`,
      },
      { kind: 'text', callout: true, text: `Anchors: ${n.anchors.length ? n.anchors.join(', ') : 'none'}; adapters: ${n.adapters.length ? n.adapters.join(', ') : 'none'}.${n.notes.length ? '\n\n' + n.notes.join('\n\n') : ''}` },
      {
        kind: 'stats',
        items: [
          { label: 'leaked answer log-prob base → RL', value: `${n.behaviour.base.logprob.value?.toFixed(2)} → ${n.behaviour.rl.logprob.value?.toFixed(2)}` },
          { label: 'leaked greedy accuracy base → RL', value: `${n.behaviour.base.accuracy.value?.toFixed(2)} → ${n.behaviour.rl.accuracy.value?.toFixed(2)}`, detail: 'teacher-forced format' },
          { label: 'anchors', value: n.anchors.length ? n.anchors.join(', ') : 'none' },
          { label: 'wall time', value: `${n.wall_s.toFixed(1)} s`, detail: `${n.cpu_s.toFixed(1)} s CPU; ${Object.entries(n.timings).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}` },
        ],
      },
      {
        kind: 'table',
        caption: 'Per layer (leaked items). Recovery: patching the layer\'s MLP output RL → base; null: same-norm random direction. Gap removed: resetting the layer\'s weights in the RL model to the base\'s. [95% bootstrap CIs]',
        columns: ['layer', 'role', 'MLP patch recovery', 'null 95th pct', 'p adjusted', 'MLP reset: gap removed', 'attention reset: gap removed', 'JSD base vs RL at mlp_out (bits)', 'relative MLP weight change'],
        rows: n.layers.map((l) => [l.layer, l.role, ci({ value: l.recovery, ci: l.recovery_ci }), l.null_p95, l.p_adjusted, ci(l.necessity), ci(l.attn_reset_gap_removed), ci(l.mlp_jsd), l.weight_change]),
      },
      ...(n.layers.every((l) => l.recovery === null && l.necessity?.value == null) ? [] : [recoveryChart(n)]),
      {
        kind: 'text',
        text:
          'skipped' in st
            ? `Steering: skipped (${st.skipped}).`
            : `Steering (${st.items} held-out leaked items): ${st.note}. Δ answer log-prob ${ci(st.delta_logprob)}, Δ accuracy ${ci(st.delta_accuracy)}; null band [${st.null_band[0].toFixed(2)}, ${st.null_band[1].toFixed(2)}], p = ${st.p.toFixed(3)}.`,
      },
      { kind: 'text', text: `All sections (lens, JSD, patching, ablations, steering): ${n.report}. Limits: ${JSON.stringify(n.limits)}.` },
    ],
  };
}

function recoveryChart(n: InterpNumbers): BarChart {
  const bar = (x: Interval | null) => ({ value: x?.value ?? null, ...(x?.ci ? { low: x.ci[0], high: x.ci[1] } : {}) });
  return {
    kind: 'bar',
    title: 'Patching recovery and reset necessity by layer (leaked items)',
    caption: "Share of the RL − base gap in answer log-prob reproduced by patching the layer's MLP output RL → base, and removed by resetting its MLP weights to base; error bars: 95% CI.",
    yLabel: 'share of the gap',
    categories: n.layers.map((l) => `layer ${l.layer}`),
    series: [
      { name: 'MLP patch recovery', values: n.layers.map((l) => bar({ value: l.recovery, ci: l.recovery_ci })) },
      { name: 'MLP reset: gap removed', values: n.layers.map((l) => bar(l.necessity)) },
    ],
  };
}
