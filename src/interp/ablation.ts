/**
 * Weight ablations on the RL model, per layer and part (MLP or attention):
 * - `reset`: the layer's part set to the base model's weights;
 * - `randomize`: each of its matrices replaced by a seeded Gaussian matrix with the same Frobenius
 *   norm (biases kept), averaged over `draws`;
 * - `keep-only`: every *other* layer's part reset to base (only this layer keeps its RL weights).
 * Per condition: answer log-prob and greedy accuracy with CIs, the paired change against the RL
 * model, and the fraction of the RL − base gap removed ((RL − ablated) / (RL − base)).
 */
import type { CausalLM } from '../model/causal-lm.ts';
import { assertSameShapes, type LayerPart, layerPartParams, overwriteParams } from '../model/layer-weights.ts';
import { progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { autoBatchSize, evaluateItems } from './forward.ts';
import { batchesOf, type InterpItem } from './items.ts';
import { diffInterval, type Interval, meanInterval, recoveryInterval, resampleIndices } from './stats.ts';

export type AblationKind = 'reset' | 'randomize' | 'keep-only';

export interface AblationOptions {
  kinds?: AblationKind[];
  parts?: LayerPart[];
  layers?: number[];
  draws?: number;
  batchSize?: number;
  resamples?: number;
  seed?: number;
  quiet?: boolean;
}

export interface AblationRow {
  kind: AblationKind;
  part: LayerPart;
  layer: number;
  group: string;
  logprob: Interval;
  accuracy: Interval;
  delta_logprob: Interval;
  delta_accuracy: Interval;
  /** (RL − ablated) / (RL − base) of the mean answer log-prob. */
  gap_removed: Interval;
}

export interface AblationResult {
  rl: string;
  base: string;
  baseline: Array<{ group: string; rl_logprob: Interval; base_logprob: Interval; rl_accuracy: Interval; base_accuracy: Interval }>;
  rows: AblationRow[];
}

function randomLike(w: Float32Array, rng: Rng): Float32Array {
  let norm = 0;
  for (const x of w) norm += x * x;
  const r = new Float32Array(w.length);
  rng.fillNormal(r, 0, 1);
  let rn = 0;
  for (const x of r) rn += x * x;
  const f = Math.sqrt(norm / Math.max(rn, 1e-30));
  for (let i = 0; i < r.length; i++) r[i] *= f;
  return r;
}

export async function runAblations(rl: CausalLM, base: CausalLM, items: readonly InterpItem[], o: AblationOptions = {}): Promise<AblationResult> {
  assertSameShapes(rl, base);
  const L = rl.config.numLayers;
  const kinds = o.kinds ?? ['reset', 'randomize', 'keep-only'];
  const parts = o.parts ?? ['mlp', 'attn'];
  const layers = o.layers ?? Array.from({ length: L }, (_, l) => l);
  const draws = o.draws ?? 3;
  const batches = batchesOf(items, o.batchSize ?? autoBatchSize(rl, items, 0));
  const rlM = await evaluateItems(rl, batches);
  const baseM = await evaluateItems(base, batches);
  const conditions = kinds.flatMap((kind) => parts.flatMap((part) => layers.map((layer) => ({ kind, part, layer }))));
  const bar = o.quiet ? null : progress('ablations', conditions.length);
  const measured: Array<{ logprob: number[]; correct: number[] }> = [];
  for (const [ci, c] of conditions.entries()) {
    const weights = (names: string[], from: CausalLM) => new Map(names.map((n) => [n, from.params.view(n)]));
    const runs: Array<{ logprob: number[]; correct: number[] }> = [];
    if (c.kind === 'randomize') {
      for (let k = 0; k < draws; k++) {
        const rng = new Rng((o.seed ?? 0) * 7919 + ci * 31 + k);
        const names = layerPartParams(rl, c.layer, c.part).filter((n) => n.endsWith('.weight'));
        const undo = overwriteParams(rl, new Map(names.map((n) => [n, randomLike(rl.params.view(n), rng)])));
        try {
          runs.push(await evaluateItems(rl, batches));
        } finally {
          undo();
        }
      }
    } else {
      const names = c.kind === 'reset' ? layerPartParams(rl, c.layer, c.part) : Array.from({ length: L }, (_, l) => l).filter((l) => l !== c.layer).flatMap((l) => layerPartParams(rl, l, c.part));
      const undo = overwriteParams(rl, weights(names, base));
      try {
        runs.push(await evaluateItems(rl, batches));
      } finally {
        undo();
      }
    }
    const avg = (key: 'logprob' | 'correct') => items.map((_, i) => runs.reduce((s, r) => s + r[key][i], 0) / runs.length);
    measured.push({ logprob: avg('logprob'), correct: avg('correct') });
    bar?.tick();
  }
  bar?.stop();
  const groups = [{ group: 'all', idx: items.map((_, i) => i) }];
  for (const [group, want] of [['leaked', true], ['clean', false]] as const) {
    const idx = items.flatMap((x, i) => (x.label === want ? [i] : []));
    if (idx.length > 0 && idx.length < items.length) groups.push({ group, idx });
  }
  const result: AblationResult = { rl: rl.source, base: base.source, baseline: [], rows: [] };
  for (const { group, idx } of groups) {
    const rs = resampleIndices(idx.length, o.resamples ?? 1000, o.seed ?? 0);
    const sel = (xs: number[]) => idx.map((i) => xs[i]);
    result.baseline.push({ group, rl_logprob: meanInterval(sel(rlM.logprob), rs), base_logprob: meanInterval(sel(baseM.logprob), rs), rl_accuracy: meanInterval(sel(rlM.correct), rs), base_accuracy: meanInterval(sel(baseM.correct), rs) });
    conditions.forEach((c, ci) => {
      const m = measured[ci];
      const removed = recoveryInterval(sel(m.logprob), sel(rlM.logprob), sel(baseM.logprob), rs);
      result.rows.push({
        ...c,
        group,
        logprob: meanInterval(sel(m.logprob), rs),
        accuracy: meanInterval(sel(m.correct), rs),
        delta_logprob: diffInterval(sel(m.logprob), sel(rlM.logprob), rs),
        delta_accuracy: diffInterval(sel(m.correct), sel(rlM.correct), rs),
        gap_removed: removed,
      });
    });
  }
  return result;
}
