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
import { autoBatchSize, forwardItems, type ItemMetrics } from './forward.ts';
import { batchesOf, groupsOf, type InterpItem } from './items.ts';
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
  const d = rl.config.hiddenSize;
  const batches = batchesOf(items, o.batchSize ?? autoBatchSize(rl, items, L * d));
  const conditions = kinds.flatMap((kind) => parts.flatMap((part) => layers.map((layer) => ({ kind, part, layer }))));
  // per condition, the parameters it changes and the (seeded) replacement of each run
  const runsOf = (c: (typeof conditions)[number], ci: number): Array<() => Map<string, Float32Array>> => {
    if (c.kind === 'randomize') {
      const names = layerPartParams(rl, c.layer, c.part).filter((n) => n.endsWith('.weight'));
      return Array.from({ length: draws }, (_, k) => () => {
        const rng = new Rng((o.seed ?? 0) * 7919 + ci * 31 + k);
        return new Map(names.map((n) => [n, randomLike(rl.params.view(n), rng)]));
      });
    }
    const names = c.kind === 'reset' ? layerPartParams(rl, c.layer, c.part) : Array.from({ length: L }, (_, l) => l).filter((l) => l !== c.layer).flatMap((l) => layerPartParams(rl, l, c.part));
    return [() => new Map(names.map((n) => [n, base.params.view(n)]))];
  };
  const rlM = { logprob: [] as number[], correct: [] as number[] };
  const baseM = { logprob: [] as number[], correct: [] as number[] };
  const measured = conditions.map(() => ({ logprob: [] as number[], correct: [] as number[] }));
  const bar = o.quiet ? null : progress('ablations', conditions.length * items.length);
  // Batches outer, conditions inner: a reset or randomized layer l leaves layers < l unchanged, so
  // the run is fed the RL model's own resid_pre at l and skips them (keep-only changes every layer).
  const residPre = layers.map((l) => `blocks.${l}.hook_resid_pre`);
  for (const batch of batches) {
    const own = await forwardItems(rl, batch, { cache: residPre });
    const ref = await forwardItems(base, batch);
    for (const [into, ms] of [[rlM, own.metrics], [baseM, ref.metrics]] as const) {
      for (const m of ms) {
        into.logprob.push(m.logprob);
        into.correct.push(m.correct);
      }
    }
    for (const [ci, c] of conditions.entries()) {
      const name = `blocks.${c.layer}.hook_resid_pre`;
      const prune = c.kind !== 'keep-only';
      const plan = prune ? { replace: [name] } : {};
      const feeds = prune ? { [`replace:${name}`]: own.acts[name] } : {};
      const runs: ItemMetrics[][] = [];
      for (const weights of runsOf(c, ci)) {
        const undo = overwriteParams(rl, weights());
        try {
          runs.push((await forwardItems(rl, batch, plan, feeds)).metrics);
        } finally {
          undo();
        }
      }
      for (let i = 0; i < batch.length; i++) {
        measured[ci].logprob.push(runs.reduce((s, r) => s + r[i].logprob, 0) / runs.length);
        measured[ci].correct.push(runs.reduce((s, r) => s + r[i].correct, 0) / runs.length);
      }
      bar?.tick(batch.length);
    }
  }
  bar?.stop();
  const groups = groupsOf(items);
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
