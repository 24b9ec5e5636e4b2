/**
 * Every analysis on one checkpoint pair, for `rlvr demo`'s interp phase (or any caller):
 * base vs RL on the given datasets (e.g. the organism's leaked.jsonl and clean.jsonl). Writes under
 * `out`: logit_lens.jsonl, logit_lens.json, jsd.json, patching.json, anchors.json, ablation.json,
 * probes.json, steering.json, nde.json, interp.json (headline numbers and timings) and report.html
 * (all sections). Patching goes RL → base (denoising: which RL activations carry the change).
 *
 * Cost on the bundled organism (3 layers, 100 items): see docs/parts/interp.md (measured there).
 */
import { phaseTimer } from '../bench/timing.ts';
import { join, resolve } from 'node:path';
import { assertSameShapes } from '../model/layer-weights.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { runAblations } from './ablation.ts';
import { DEFAULT_RULE, identifyAnchors, mlpWeightChange } from './anchors.ts';
import { runLens } from './lens.ts';
import { runNde } from './nde.ts';
import { runPatching } from './patching.ts';
import { runProbes } from './probes.ts';
import { type DataOptions, loadItems, loadModel, SCHEMA, writeJson, writeSections } from './run.ts';
import { runSteering } from './steering.ts';
import { ablationSection, anchorsSection, jsdSection, lensSection, ndeSection, patchingSection, probesSection, steeringSection } from './views.ts';

export interface ShowcaseOptions {
  /** Items per dataset (default all). */
  limit?: number;
  context?: string;
  seed?: number;
  quiet?: boolean;
}

export interface ShowcaseSummary {
  schema: string;
  base: string;
  rl: string;
  items: number;
  anchors: number[];
  adapters: number[];
  anchor_notes: string[];
  timings: Record<string, number>;
  report: string;
}

export async function runInterpShowcase(baseDir: string, rlDir: string, datasets: string[], outDir: string, o: ShowcaseOptions = {}): Promise<ShowcaseSummary> {
  const out = resolve(outDir);
  const base = loadModel(baseDir, 'base');
  const rl = loadModel(rlDir, 'rl');
  assertSameShapes(base, rl);
  const data: DataOptions = { datasets, limit: o.limit, context: o.context };
  const items = await loadItems(base, data);
  const seed = o.seed ?? 0;
  const quiet = o.quiet ?? false;
  const L = base.config.numLayers;
  const timings: Record<string, number> = {};
  const timed = phaseTimer(timings);
  const head = (analysis: string) => ({ schema: SCHEMA, analysis, models: { base: baseDir, rl: rlDir }, datasets: datasets.map((p) => resolve(p)), items: items.length });

  const lensRows: string[] = [];
  const lens = await timed('logit_lens_jsd', () => runLens([{ name: 'base', lm: base }, { name: 'rl', lm: rl }], items, (r) => lensRows.push(JSON.stringify(r) + '\n'), { seed, quiet }));
  writeFileAtomic(join(out, 'logit_lens.jsonl'), lensRows);
  writeJson(join(out, 'logit_lens.json'), { ...head('logit-lens'), readout: lens.readout, positions: lens.positions, lens: lens.lens });
  writeJson(join(out, 'jsd.json'), { ...head('jsd'), jsd: lens.jsd });

  const patch = await timed('patching', () => runPatching(base, rl, items, { sites: ['attn_out', 'mlp_out', 'resid_post'], positions: ['all', 'last'], nullSites: ['mlp_out'], nullDraws: Math.ceil(L / DEFAULT_RULE.alpha), nullMinRecovery: DEFAULT_RULE.min_recovery, seed, quiet }));
  writeJson(join(out, 'patching.json'), { ...head('patch'), ...patch });
  const ablation = await timed('ablation', () => runAblations(rl, base, items, { seed, quiet }));
  writeJson(join(out, 'ablation.json'), { ...head('ablate'), ...ablation });
  const group = items.some((x) => x.label) ? 'leaked' : 'all';
  const anchors = identifyAnchors(patch, lens, Array.from({ length: L }, (_, l) => mlpWeightChange(rl, base, l)), DEFAULT_RULE, group, ablation);
  writeJson(join(out, 'anchors.json'), { ...head('anchors'), ...anchors });

  const labeled = items.every((x) => x.label !== undefined) && new Set(items.map((x) => x.label)).size === 2;
  const probes = labeled ? await timed('probes', () => runProbes(rl, items, { seed, quiet, permutations: 20 })) : null;
  if (probes) writeJson(join(out, 'probes.json'), { ...head('probe'), ...probes });

  const steering = await timed('steering', () => runSteering(rl, items.filter((x) => x.label !== false), { seed, quiet }));
  writeJson(join(out, 'steering.json'), { ...head('steer'), ...steering });

  const nde = labeled ? await timed('nde', () => runNde(rl, items, { seed, quiet })) : null;
  if (nde) writeJson(join(out, 'nde.json'), { ...head('nde'), ...nde });

  const sections = [anchorsSection(anchors), lensSection(lens), jsdSection(lens), patchingSection(patch), ablationSection(ablation), ...(probes ? [probesSection(probes)] : []), steeringSection(steering), ...(nde ? [ndeSection(nde)] : [])];
  const report = writeSections(out, 'report.html', 'Where the change lives', `${baseDir} vs ${rlDir}`, sections);
  const summary: ShowcaseSummary = { schema: SCHEMA, base: baseDir, rl: rlDir, items: items.length, anchors: anchors.anchors, adapters: anchors.adapters, anchor_notes: anchors.notes, timings, report };
  writeJson(join(out, 'interp.json'), summary);
  return summary;
}
