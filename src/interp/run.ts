/**
 * The analyses as jobs: load the models and items, run, write `<analysis>.json` (and
 * `logit_lens.jsonl`) plus a report page under the output directory, every file atomically.
 * Used by `rlvr interp <analysis>` and by `runInterpShowcase`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CausalLM } from '../model/causal-lm.ts';
import { assertSameShapes } from '../model/layer-weights.ts';
import { type Section, writeReport } from '../report/index.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { type AblationOptions, runAblations } from './ablation.ts';
import { type AnchorRule, DEFAULT_RULE, identifyAnchors, mlpWeightChange } from './anchors.ts';
import { type InterpItem, loadInterpItems } from './items.ts';
import { type LensOptions, type LensRow, runLens } from './lens.ts';
import { type NdeOptions, runNde } from './nde.ts';
import { type PatchOptions, runPatching } from './patching.ts';
import { type ProbeOptions, runProbes } from './probes.ts';
import { runSteering, type SteeringOptions } from './steering.ts';
import { ablationSection, anchorsSection, jsdSection, lensSection, ndeSection, patchingSection, probesSection, steeringSection } from './views.ts';

export const SCHEMA = 'rlvr-interp/1';

export interface DataOptions {
  datasets: string[];
  /** First N items of each dataset. */
  limit?: number;
  context?: string;
}

export function loadModel(dir: string, flag: string): CausalLM {
  if (!existsSync(join(dir, 'config.json'))) throw new UserError(`${flag} ${dir}: not a model directory (no config.json)`);
  return CausalLM.load(dir);
}

export async function loadItems(lm: CausalLM, d: DataOptions): Promise<InterpItem[]> {
  if (d.datasets.length === 0) throw new UserError('--dataset is required');
  const items: InterpItem[] = [];
  for (const ds of d.datasets) items.push(...(await loadInterpItems(lm, ds, { limit: d.limit, context: d.context })));
  const ids = new Set<string>();
  for (const x of items) {
    if (ids.has(x.id)) throw new UserError(`item id '${x.id}' occurs twice across --dataset files`);
    ids.add(x.id);
  }
  return items;
}

function header(analysis: string, models: Record<string, string>, items: readonly InterpItem[], d: DataOptions, started: number, options: object) {
  return { schema: SCHEMA, analysis, models, datasets: d.datasets.map((p) => resolve(p)), context: d.context ?? null, items: items.length, options, seconds: (Date.now() - started) / 1000 };
}

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function writeSections(out: string, file: string, title: string, subtitle: string, sections: Section[]): string {
  const path = join(out, file);
  writeReport(path, { title, subtitle, sections });
  return path;
}

/** Logit lens (and JSD) on one model, or on base and RL together (adds the between-model JSD). */
export async function lensJob(o: { model: string; base?: string; data: DataOptions; out: string; lens?: LensOptions; rows?: boolean }) {
  const started = Date.now();
  const lm = loadModel(o.model, '--model');
  const models = [{ name: 'model', lm }];
  if (o.base) {
    const base = loadModel(o.base, '--base');
    assertSameShapes(lm, base);
    models.unshift({ name: 'base', lm: base });
  }
  const items = await loadItems(lm, o.data);
  const rows: string[] = [];
  const summary = await runLens(models, items, (r: LensRow) => o.rows !== false && rows.push(JSON.stringify(r) + '\n'), o.lens);
  const head = header('logit-lens', Object.fromEntries(models.map((m) => [m.name, m.lm.source])), items, o.data, started, o.lens ?? {});
  if (o.rows !== false) writeFileAtomic(join(o.out, 'logit_lens.jsonl'), rows);
  writeJson(join(o.out, 'logit_lens.json'), { ...head, readout: summary.readout, positions: summary.positions, lens: summary.lens });
  writeJson(join(o.out, 'jsd.json'), { ...head, analysis: 'jsd', readout: summary.readout, positions: summary.positions, jsd: summary.jsd });
  writeSections(o.out, 'logit_lens.html', 'Logit lens and JSD', o.model, [lensSection(summary), jsdSection(summary)]);
  return { summary, items };
}

export async function patchJob(o: { target: string; source: string; data: DataOptions; out: string; patch?: PatchOptions }) {
  const started = Date.now();
  const target = loadModel(o.target, '--target');
  const source = loadModel(o.source, '--source');
  const items = await loadItems(target, o.data);
  const result = await runPatching(target, source, items, o.patch);
  writeJson(join(o.out, 'patching.json'), { ...header('patch', { target: o.target, source: o.source }, items, o.data, started, o.patch ?? {}), ...result });
  writeSections(o.out, 'patching.html', 'Activation patching', `${o.source} → ${o.target}`, [patchingSection(result)]);
  return result;
}

export async function ablateJob(o: { rl: string; base: string; data: DataOptions; out: string; ablation?: AblationOptions }) {
  const started = Date.now();
  const rl = loadModel(o.rl, '--rl');
  const base = loadModel(o.base, '--base');
  const items = await loadItems(rl, o.data);
  const result = await runAblations(rl, base, items, o.ablation);
  writeJson(join(o.out, 'ablation.json'), { ...header('ablate', { rl: o.rl, base: o.base }, items, o.data, started, o.ablation ?? {}), ...result });
  writeSections(o.out, 'ablation.html', 'Ablations', o.rl, [ablationSection(result)]);
  return result;
}

export async function probeJob(o: { model: string; data: DataOptions; out: string; probe?: ProbeOptions }) {
  const started = Date.now();
  const lm = loadModel(o.model, '--model');
  const items = await loadItems(lm, o.data);
  const result = await runProbes(lm, items, o.probe);
  writeJson(join(o.out, 'probes.json'), { ...header('probe', { model: o.model }, items, o.data, started, o.probe ?? {}), ...result });
  writeSections(o.out, 'probes.html', 'Linear probes', o.model, [probesSection(result)]);
  return result;
}

export async function steerJob(o: { model: string; data: DataOptions; out: string; steering?: SteeringOptions }) {
  const started = Date.now();
  const lm = loadModel(o.model, '--model');
  const items = await loadItems(lm, o.data);
  const result = await runSteering(lm, items, o.steering);
  writeJson(join(o.out, 'steering.json'), { ...header('steer', { model: o.model }, items, o.data, started, o.steering ?? {}), ...result });
  writeSections(o.out, 'steering.html', 'Neuron steering', o.model, [steeringSection(result)]);
  return result;
}

export async function ndeJob(o: { model: string; data: DataOptions; out: string; nde?: NdeOptions }) {
  const started = Date.now();
  const lm = loadModel(o.model, '--model');
  const items = await loadItems(lm, o.data);
  const result = await runNde(lm, items, o.nde);
  writeJson(join(o.out, 'nde.json'), { ...header('nde', { model: o.model }, items, o.data, started, o.nde ?? {}), ...result });
  writeSections(o.out, 'nde.html', 'Neural ODE over layers', o.model, [ndeSection(result)]);
  return result;
}

/** Patching of mlp_out (all positions, with the null), the MLP reset of each layer (necessity), the lens JSD between the models, weight changes, then the rule. */
export async function anchorsJob(o: { base: string; rl: string; data: DataOptions; out: string; patch?: PatchOptions; lens?: LensOptions; rule?: AnchorRule; group?: string }) {
  const started = Date.now();
  const base = loadModel(o.base, '--base');
  const rl = loadModel(o.rl, '--rl');
  assertSameShapes(base, rl);
  const items = await loadItems(rl, o.data);
  const L = rl.config.numLayers;
  const rule = o.rule ?? DEFAULT_RULE;
  const patch = await runPatching(base, rl, items, { nullDraws: Math.ceil(L / rule.alpha), nullMinRecovery: rule.min_recovery, ...o.patch, sites: ['mlp_out'], positions: ['all'], nullSites: ['mlp_out'] });
  const ablation = await runAblations(rl, base, items, { kinds: ['reset'], parts: ['mlp'], batchSize: o.patch?.batchSize, resamples: o.patch?.resamples, seed: o.patch?.seed, quiet: o.patch?.quiet });
  const lens = await runLens([{ name: 'base', lm: base }, { name: 'rl', lm: rl }], items, () => {}, o.lens);
  const weights = Array.from({ length: L }, (_, l) => mlpWeightChange(rl, base, l));
  const group = o.group ?? (items.some((x) => x.label) ? 'leaked' : 'all');
  const result = identifyAnchors(patch, lens, weights, rule, group, ablation);
  writeJson(join(o.out, 'anchors.json'), { ...header('anchors', { base: o.base, rl: o.rl }, items, o.data, started, { patch: o.patch ?? {}, lens: o.lens ?? {} }), ...result });
  writeSections(o.out, 'anchors.html', 'Anchor and adapter layers', `${o.base} vs ${o.rl}`, [anchorsSection(result), patchingSection(patch), ablationSection(ablation), jsdSection(lens)]);
  return result;
}
