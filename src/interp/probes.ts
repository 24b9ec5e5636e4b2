/**
 * Per-layer linear probes: L2-regularized logistic regression (features standardized on the
 * training folds, class-balanced weights) on the residual stream at the position that predicts the
 * first answer token (the answer is not in the input), for the embedding and every layer's
 * resid_post. Repeated stratified k-fold cross-validation; the score is the AUROC of the pooled
 * out-of-fold probabilities (mean over repeats), with a bootstrap interval over items (first repeat)
 * and a label-permutation null per layer (one-sided p, adjusted across layers).
 */
import { auroc } from '../audit/auroc.ts';
import type { CausalLM } from '../model/causal-lm.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { autoBatchSize, forwardItems } from './forward.ts';
import { batchesOf, type InterpItem } from './items.ts';
import { adjust, bootstrapStat, type Correction, type Interval, nullPValueGreater, resampleIndices } from './stats.ts';

export interface ProbeOptions {
  folds?: number;
  repeats?: number;
  /** Inverse regularization strength, as scikit-learn's C. */
  c?: number;
  permutations?: number;
  iterations?: number;
  batchSize?: number;
  resamples?: number;
  seed?: number;
  correction?: Correction;
  quiet?: boolean;
}

export interface ProbeLayer {
  /** −1 = the embedding (hook_embed), l = blocks.l.hook_resid_post. */
  layer: number;
  auroc: Interval;
  null: { permutations: number; mean: number; p95: number; p: number; p_adjusted?: number };
}

export interface ProbeResult {
  model: string;
  features: string;
  items: number;
  positives: number;
  folds: number;
  repeats: number;
  c: number;
  correction: Correction;
  layers: ProbeLayer[];
}

/** Features [n, d] per layer (−1 … L−1). */
export async function probeFeatures(lm: CausalLM, items: readonly InterpItem[], batchSize?: number): Promise<Float32Array[]> {
  const L = lm.config.numLayers;
  const d = lm.config.hiddenSize;
  batchSize ??= autoBatchSize(lm, items, (L + 1) * d);
  const names = ['hook_embed', ...Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_post`)];
  const feats = names.map(() => new Float32Array(items.length * d));
  let at = 0;
  for (const batch of batchesOf(items, batchSize)) {
    const { t, acts } = await forwardItems(lm, batch, { cache: names });
    batch.forEach((item, i) => {
      const p = item.ctxLen - 1;
      names.forEach((n, k) => feats[k].set(acts[n].subarray((i * t + p) * d, (i * t + p + 1) * d), (at + i) * d));
    });
    at += batch.length;
  }
  return feats;
}

/**
 * Fits w, b minimizing Σ_i c_i · logloss_i + ‖w‖² / (2C) (scikit-learn's objective, with class
 * weights c_i = n / (2 n_class)) by gradient descent with Nesterov momentum on standardized features.
 * Hand-written: no maintained JS logistic-regression package fits a few hundred rows this simply.
 */
function fitLogistic(x: Float64Array, y: Uint8Array, rows: number[], d: number, c: number, iterations: number): { w: Float64Array; b: number; mean: Float64Array; std: Float64Array } {
  const n = rows.length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += x[r * d + j] / n;
  for (const r of rows) for (let j = 0; j < d; j++) std[j] += (x[r * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) || 1;
  const pos = rows.filter((r) => y[r]).length;
  const weight = (r: number) => (y[r] ? n / (2 * Math.max(pos, 1)) : n / (2 * Math.max(n - pos, 1)));
  const z = new Float64Array(n * d);
  const wt = new Float64Array(n);
  const yy = new Float64Array(n);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) z[i * d + j] = (x[r * d + j] - mean[j]) / std[j];
    wt[i] = weight(r);
    yy[i] = y[r];
  });
  const w = new Float64Array(d);
  const vw = new Float64Array(d);
  let b = 0;
  let vb = 0;
  // step 1/L from the smoothness bound L = ¼ max weight · λmax([Z 1]ᵀ[Z 1]) + 1/C (power iteration)
  let v = new Float64Array(d + 1).fill(1 / Math.sqrt(d + 1));
  let lambda = 0;
  for (let it = 0; it < 15; it++) {
    const next = new Float64Array(d + 1);
    for (let i = 0; i < n; i++) {
      let s = v[d];
      for (let j = 0; j < d; j++) s += z[i * d + j] * v[j];
      for (let j = 0; j < d; j++) next[j] += s * z[i * d + j];
      next[d] += s;
    }
    lambda = Math.hypot(...next);
    v = next.map((q) => q / (lambda || 1));
  }
  const lr = 1 / (0.25 * Math.max(...wt) * lambda * 1.05 + 1 / c);
  const gw = new Float64Array(d);
  const look = new Float64Array(d);
  for (let it = 0; it < iterations; it++) {
    const mom = it / (it + 3);
    for (let j = 0; j < d; j++) look[j] = w[j] + mom * vw[j];
    const lb = b + mom * vb;
    for (let j = 0; j < d; j++) gw[j] = look[j] / c;
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let s = lb;
      for (let j = 0; j < d; j++) s += look[j] * z[o + j];
      const g = wt[i] * (1 / (1 + Math.exp(-s)) - yy[i]);
      for (let j = 0; j < d; j++) gw[j] += g * z[o + j];
      gb += g;
    }
    for (let j = 0; j < d; j++) {
      vw[j] = mom * vw[j] - lr * gw[j];
      w[j] += vw[j];
    }
    vb = mom * vb - lr * gb;
    b += vb;
  }
  return { w, b, mean, std };
}

function stratifiedFolds(y: Uint8Array, folds: number, rng: Rng): number[] {
  const fold = new Array<number>(y.length);
  for (const cls of [0, 1]) {
    const idx = Array.from(y, (v, i) => (v === cls ? i : -1)).filter((i) => i >= 0);
    rng.shuffle(idx);
    idx.forEach((i, k) => (fold[i] = k % folds));
  }
  return fold;
}

/** Out-of-fold decision values of one repeat of stratified k-fold (rows of `x` are items, d features each). */
export function crossValidated(x: Float64Array, y: Uint8Array, d: number, folds: number, c: number, iterations: number, rng: Rng): number[] {
  const fold = stratifiedFolds(y, folds, rng);
  const scores = new Array<number>(y.length).fill(0);
  for (let f = 0; f < folds; f++) {
    const train = fold.flatMap((g, i) => (g === f ? [] : [i]));
    const { w, b, mean, std } = fitLogistic(x, y, train, d, c, iterations);
    fold.forEach((g, i) => {
      if (g !== f) return;
      let s = b;
      for (let j = 0; j < d; j++) s += (w[j] * (x[i * d + j] - mean[j])) / std[j];
      scores[i] = s;
    });
  }
  return scores;
}

export async function runProbes(lm: CausalLM, items: readonly InterpItem[], o: ProbeOptions = {}): Promise<ProbeResult> {
  const labels = items.map((x) => x.label);
  if (labels.some((l) => l === undefined)) throw new UserError('probes need a boolean `leaked` label on every item');
  const y = Uint8Array.from(labels, (l) => (l ? 1 : 0));
  const positives = y.reduce((a, b) => a + b, 0);
  const folds = o.folds ?? 5;
  if (Math.min(positives, y.length - positives) < folds) throw new UserError(`probes: ${positives} positive and ${y.length - positives} negative items; each class needs at least --folds (${folds})`);
  const repeats = o.repeats ?? 2;
  const c = o.c ?? 1;
  const permutations = o.permutations ?? 50;
  const iterations = o.iterations ?? 100;
  const seed = o.seed ?? 0;
  const correction = o.correction ?? 'holm';
  const d = lm.config.hiddenSize;
  const feats = await probeFeatures(lm, items, o.batchSize);
  const rs = resampleIndices(items.length, o.resamples ?? 1000, seed);
  const bool = Array.from(y, (v) => v === 1);
  const bar = o.quiet ? null : progress('probes', feats.length);
  const layers: ProbeLayer[] = [];
  for (const [k, f] of feats.entries()) {
    const x = Float64Array.from(f);
    const cvAuroc = (labelsNow: Uint8Array, rngSeed: number, reps: number) => {
      const rng = new Rng(rngSeed);
      let sum = 0;
      let first: number[] = [];
      for (let r = 0; r < reps; r++) {
        const scores = crossValidated(x, labelsNow, d, folds, c, iterations, rng);
        if (r === 0) first = scores;
        sum += auroc(scores, Array.from(labelsNow, (v) => v === 1)) ?? NaN;
      }
      return { value: sum / reps, first };
    };
    const obs = cvAuroc(y, seed * 1009 + k, repeats);
    const ci = bootstrapStat(rs, (idx) => {
      if (!idx) return obs.value;
      const s = Array.from(idx, (i) => obs.first[i]);
      return auroc(s, Array.from(idx, (i) => bool[i])) ?? NaN;
    });
    const permRng = new Rng(seed * 7 + k + 1);
    const nulls: number[] = [];
    for (let p = 0; p < permutations; p++) {
      const perm = y.slice();
      permRng.shuffle(perm);
      nulls.push(cvAuroc(perm, seed * 1009 + k + 100_000 * (p + 1), 1).value);
    }
    const sorted = [...nulls].sort((a, b) => a - b);
    layers.push({
      layer: k - 1,
      auroc: ci,
      null: { permutations, mean: nulls.reduce((a, b) => a + b, 0) / Math.max(1, nulls.length), p95: sorted[Math.floor(0.95 * (sorted.length - 1))] ?? NaN, p: nullPValueGreater(obs.value, nulls) },
    });
    bar?.tick();
  }
  bar?.stop();
  adjust(layers.map((l) => l.null.p), correction).forEach((p, i) => (layers[i].null.p_adjusted = p));
  return { model: lm.source, features: 'hook_embed (layer −1) and blocks.{l}.hook_resid_post at the position predicting the first answer token', items: items.length, positives, folds, repeats, c, correction, layers };
}
