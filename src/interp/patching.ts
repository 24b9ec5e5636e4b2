/**
 * Activation patching: run the source model, cache a site, and put it into the target model's
 * forward pass (one layer and component at a time), on identical tokens. Metrics per item: the gold
 * answer's teacher-forced log-probability (deterministic) and greedy accuracy (see forward.ts).
 * Normalized recovery R = (patched − target) / (source − target) (ratio of item means) with a
 * paired bootstrap interval over items.
 *
 * Positions: `all` (every position), or `last` (only the last context position, the one that
 * predicts the first answer token; the patch reaches later positions through attention).
 *
 * Null per cell: the same patch with the source−target difference replaced by a random direction
 * of the same norm at every patched position (seeded); R must beat "any perturbation of that size".
 * Denoising is source = RL, target = base; swap them for noising (necessity).
 */
import type { CausalLM } from '../model/causal-lm.ts';
import { assertSameShapes } from '../model/layer-weights.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { autoBatchSize, forwardItems, type ItemMetrics } from './forward.ts';
import { batchesOf, groupsOf, type InterpItem } from './items.ts';
import { adjust, type Correction, type Interval, meanInterval, nullPValueGreater, quantile, recoveryInterval, resampleIndices } from './stats.ts';

export const PATCH_SITES = ['resid_pre', 'attn_out', 'mlp_out', 'resid_post'] as const;
export type PatchSite = (typeof PATCH_SITES)[number];
export type PatchPositions = 'all' | 'last';

export interface PatchOptions {
  sites?: PatchSite[];
  positions?: PatchPositions[];
  layers?: number[];
  /** Sites that get the random-direction null (default mlp_out). */
  nullSites?: PatchSite[];
  /** Position modes that get the null (default all). */
  nullPositions?: PatchPositions[];
  nullDraws?: number;
  /**
   * Draw the null only for cells whose recovery is at least this in some group (the others could
   * not be claimed anyway; they enter the across-layer adjustment with p = 1, which keeps it valid).
   */
  nullMinRecovery?: number;
  /** Draw the null only at these layers (default all): e.g. the ones a weight-reset necessity check left. Same treatment of the others. */
  nullLayers?: number[];
  batchSize?: number;
  resamples?: number;
  seed?: number;
  correction?: Correction;
  quiet?: boolean;
}

export interface PatchCell {
  layer: number;
  site: PatchSite;
  positions: PatchPositions;
  group: string;
  /** Normalized recovery of the answer log-probability. */
  recovery: number | null;
  ci: [number, number] | null;
  accuracy_recovery: Interval;
  patched_logprob: Interval;
  patched_accuracy: Interval;
  null?: { draws: number; mean: number; p95: number; p: number; p_adjusted?: number };
}

export interface PatchResult {
  metric: string;
  source: string;
  target: string;
  correction: Correction;
  baseline: Array<{ group: string; target_logprob: Interval; source_logprob: Interval; target_accuracy: Interval; source_accuracy: Interval }>;
  cells: PatchCell[];
}

const hookOf = (l: number, s: PatchSite) => `blocks.${l}.hook_${s}`;

/** Target activations with the source's at the patched positions; `noise` replaces source − target by a random vector of its norm. */
function patchedValues(src: Float32Array, tgt: Float32Array, batch: readonly InterpItem[], t: number, d: number, positions: PatchPositions, noise: Rng | null): Float32Array {
  if (positions === 'all' && !noise) return src;
  const out = tgt.slice();
  batch.forEach((item, i) => {
    const ps = positions === 'all' ? Array.from({ length: t }, (_, p) => p) : [item.ctxLen - 1];
    for (const p of ps) {
      const off = (i * t + p) * d;
      if (!noise) {
        out.set(src.subarray(off, off + d), off);
        continue;
      }
      let norm = 0;
      for (let j = 0; j < d; j++) norm += (src[off + j] - tgt[off + j]) ** 2;
      const dir = new Float64Array(d);
      let dn = 0;
      for (let j = 0; j < d; j++) {
        dir[j] = noise.normal();
        dn += dir[j] * dir[j];
      }
      const f = Math.sqrt(norm / dn);
      for (let j = 0; j < d; j++) out[off + j] = tgt[off + j] + f * dir[j];
    }
  });
  return out;
}

/**
 * The target's own activation that makes the patched run skip the unchanged work upstream of the
 * patched site (the graph is pruned to what the fed values need): attn_out at l needs only the
 * target's resid_pre at l, mlp_out at l its resid_mid at l; resid_pre / resid_post need nothing.
 * Fed from the target's run of the same batch, the values are exactly what the target would compute.
 */
function upstreamOf(l: number, s: PatchSite): string | null {
  if (s === 'attn_out') return `blocks.${l}.hook_resid_pre`;
  if (s === 'mlp_out') return `blocks.${l}.hook_resid_mid`;
  return null;
}

interface Cell {
  layer: number;
  site: PatchSite;
  pos: PatchPositions;
}

/** Source and target runs of one batch with the cells' sites (and the target's upstream values) cached. */
async function sourceAndTarget(target: CausalLM, source: CausalLM, batch: readonly InterpItem[], cells: readonly Cell[]) {
  const names = [...new Set(cells.map((c) => hookOf(c.layer, c.site)))];
  const upstream = [...new Set(cells.map((c) => upstreamOf(c.layer, c.site)).filter((x): x is string => x !== null))];
  const src = await forwardItems(source, batch, { cache: names });
  const tgt = await forwardItems(target, batch, { cache: [...new Set([...names, ...upstream])] });
  return { src, tgt };
}

/** The target's metrics with one cell's site replaced by `values` (upstream work pruned). */
async function patchedRun(target: CausalLM, batch: readonly InterpItem[], c: Cell, values: Float32Array, tgtActs: Record<string, Float32Array>): Promise<ItemMetrics[]> {
  const name = hookOf(c.layer, c.site);
  const up = upstreamOf(c.layer, c.site);
  const replace = up ? [up, name] : [name];
  const feeds: Record<string, Float32Array> = { [`replace:${name}`]: values };
  if (up) feeds[`replace:${up}`] = tgtActs[up];
  return (await forwardItems(target, batch, { replace }, feeds)).metrics;
}

export async function runPatching(target: CausalLM, source: CausalLM, items: readonly InterpItem[], o: PatchOptions = {}): Promise<PatchResult> {
  assertSameShapes(target, source);
  const L = target.config.numLayers;
  const d = target.config.hiddenSize;
  const sites = o.sites ?? ['attn_out', 'mlp_out', 'resid_post'];
  const positions = o.positions ?? ['all'];
  const layers = o.layers ?? Array.from({ length: L }, (_, l) => l);
  for (const l of layers) if (!Number.isInteger(l) || l < 0 || l >= L) throw new UserError(`--layers: ${l} is not a layer of this model (0..${L - 1})`);
  const nullSites = new Set(o.nullSites ?? ['mlp_out']);
  const nullPositions = new Set(o.nullPositions ?? ['all']);
  const draws = o.nullDraws ?? 20;
  const cells: Cell[] = layers.flatMap((layer) => sites.flatMap((site) => positions.map((pos) => ({ layer, site, pos }))));
  const n = items.length;
  const tgtM = { logprob: [] as number[], correct: [] as number[] };
  const srcM = { logprob: [] as number[], correct: [] as number[] };
  const patched = cells.map(() => ({ logprob: [] as number[], correct: [] as number[] }));
  const push = (into: { logprob: number[]; correct: number[] }, ms: ItemMetrics[]) => {
    for (const m of ms) {
      into.logprob.push(m.logprob);
      into.correct.push(m.correct);
    }
  };
  const cache = cells.map((c) => hookOf(c.layer, c.site));
  const batches = batchesOf(items, o.batchSize ?? autoBatchSize(target, items, (2 * new Set(cache).size + layers.length) * d));
  const bar = o.quiet ? null : progress('patching', n);
  for (const batch of batches) {
    const { src, tgt } = await sourceAndTarget(target, source, batch, cells);
    push(srcM, src.metrics);
    push(tgtM, tgt.metrics);
    for (const [ci, c] of cells.entries()) push(patched[ci], await patchedRun(target, batch, c, patchedValues(src.acts[hookOf(c.layer, c.site)], tgt.acts[hookOf(c.layer, c.site)], batch, src.t, d, c.pos, null), tgt.acts));
    bar?.tick(batch.length);
  }
  bar?.stop();

  // The null, per eligible cell: only cells at `nullLayers` whose recovery reaches `nullMinRecovery`
  // in some group (when set) get draws; the others enter the adjustment with p = 1 (conservative).
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const groups = groupsOf(items);
  const recoveryOf = (ci: number, idx: number[]) => {
    const gap = mean(idx.map((i) => srcM.logprob[i])) - mean(idx.map((i) => tgtM.logprob[i]));
    return Math.abs(gap) > 1e-6 ? (mean(idx.map((i) => patched[ci].logprob[i])) - mean(idx.map((i) => tgtM.logprob[i]))) / gap : -Infinity;
  };
  const eligible = (ci: number) => nullSites.has(cells[ci].site) && nullPositions.has(cells[ci].pos);
  const drawn = cells.map((c, ci) => draws > 0 && eligible(ci) && (o.nullLayers?.includes(c.layer) ?? true) && (o.nullMinRecovery === undefined || groups.some((g) => recoveryOf(ci, g.idx) >= o.nullMinRecovery!)));
  const nulls = cells.map((_, ci) => (drawn[ci] ? Array.from({ length: draws }, () => [] as number[]) : []));
  const nullCells = cells.filter((_, ci) => drawn[ci]);
  if (nullCells.length > 0) {
    const nbar = o.quiet ? null : progress('patching null', n * nullCells.length * draws);
    for (const [batchNo, batch] of batches.entries()) {
      const { src, tgt } = await sourceAndTarget(target, source, batch, nullCells);
      for (const [ci, c] of cells.entries()) {
        const name = hookOf(c.layer, c.site);
        for (let k = 0; k < nulls[ci].length; k++) {
          const noise = new Rng((o.seed ?? 0) * 1_000_003 + ci * 10_007 + k * 101 + batchNo);
          for (const m of await patchedRun(target, batch, c, patchedValues(src.acts[name], tgt.acts[name], batch, src.t, d, c.pos, noise), tgt.acts)) nulls[ci][k].push(m.logprob);
          nbar?.tick(batch.length);
        }
      }
    }
    nbar?.stop();
  }

  const correction = o.correction ?? 'holm';
  const result: PatchResult = {
    metric: 'sum of the gold answer tokens’ log-probabilities after the fixed context (teacher forced); accuracy = greedy continuation starts with the answer',
    source: source.source,
    target: target.source,
    correction,
    baseline: [],
    cells: [],
  };
  for (const { group, idx } of groups) {
    const rs = resampleIndices(idx.length, o.resamples ?? 1000, o.seed ?? 0);
    const sel = (xs: number[]) => idx.map((i) => xs[i]);
    const [tl, sl, tc, sc] = [sel(tgtM.logprob), sel(srcM.logprob), sel(tgtM.correct), sel(srcM.correct)];
    result.baseline.push({ group, target_logprob: meanInterval(tl, rs), source_logprob: meanInterval(sl, rs), target_accuracy: meanInterval(tc, rs), source_accuracy: meanInterval(sc, rs) });
    const gap = mean(sl) - mean(tl);
    const groupCells: PatchCell[] = cells.map((c, ci) => {
      const rec = recoveryInterval(sel(patched[ci].logprob), tl, sl, rs);
      const cell: PatchCell = {
        layer: c.layer,
        site: c.site,
        positions: c.pos,
        group,
        recovery: rec.value,
        ci: rec.ci,
        accuracy_recovery: recoveryInterval(sel(patched[ci].correct), tc, sc, rs),
        patched_logprob: meanInterval(sel(patched[ci].logprob), rs),
        patched_accuracy: meanInterval(sel(patched[ci].correct), rs),
      };
      if (nulls[ci].length > 0 && Math.abs(gap) > 1e-6) {
        const nullRec = nulls[ci].map((xs) => (mean(sel(xs)) - mean(tl)) / gap);
        cell.null = { draws: nullRec.length, mean: mean(nullRec), p95: quantile(nullRec, 0.95), p: nullPValueGreater(rec.value ?? -Infinity, nullRec) };
      }
      return cell;
    });
    // adjust across layers within each (site, positions) family
    for (const site of sites) {
      for (const pos of positions) {
        if (!nullSites.has(site) || !nullPositions.has(pos) || draws === 0) continue;
        const fam = groupCells.filter((c) => c.site === site && c.positions === pos);
        const adj = adjust(fam.map((c) => c.null?.p ?? 1), correction);
        fam.forEach((c, i) => c.null && (c.null.p_adjusted = adj[i]));
      }
    }
    result.cells.push(...groupCells);
  }
  return result;
}
