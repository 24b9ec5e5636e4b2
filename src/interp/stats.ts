/**
 * Statistics shared by the analyses: Jensen–Shannon divergence in bits, paired bootstrap
 * intervals over items (one set of resample indices shared by every cell of an analysis, so
 * differences between cells are paired), empirical null p-values and Holm / Benjamini–Hochberg
 * adjustment across layers.
 */
import { Rng } from '../util/rng.ts';

/**
 * JSD(P‖Q) = ½ KL(P‖M) + ½ KL(Q‖M), M = ½(P + Q), in bits (log base 2: 0 for identical, 1 for
 * disjoint supports), from two rows of log-probabilities over the full vocabulary.
 */
export function jsdBits(logp: Float32Array, offP: number, logq: Float32Array, offQ: number, v: number): number {
  let sum = 0;
  for (let i = 0; i < v; i++) {
    const p = Math.exp(logp[offP + i]);
    const q = Math.exp(logq[offQ + i]);
    const m = 0.5 * (p + q);
    if (m === 0) continue;
    if (p > 0) sum += p * Math.log2(p / m);
    if (q > 0) sum += q * Math.log2(q / m);
  }
  return Math.max(0, 0.5 * sum);
}

/** Probabilities and Shannon entropies (bits) of `n` rows of `v` log-probabilities, for `jsdFromProbs`. */
export function probsAndEntropies(logp: Float32Array, n: number, v: number): { p: Float32Array; entropy: Float64Array } {
  const p = new Float32Array(n * v);
  const entropy = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let h = 0;
    for (let i = r * v; i < (r + 1) * v; i++) {
      const x = Math.exp(logp[i]);
      p[i] = x;
      if (x > 0) h -= x * logp[i];
    }
    entropy[r] = h / Math.LN2;
  }
  return { p, entropy };
}

/**
 * The same JSD in bits as H(M) − ½(H(P) + H(Q)), from rows of probabilities whose entropies are
 * known: one logarithm per element instead of jsdBits' two exponentials and two logarithms — the
 * lens compares each readout several times (consecutive layers, components, two models).
 */
export function jsdFromProbs(p: Float32Array, offP: number, hP: number, q: Float32Array, offQ: number, hQ: number, v: number): number {
  let hM = 0;
  for (let i = 0; i < v; i++) {
    const m = 0.5 * (p[offP + i] + q[offQ + i]);
    if (m > 0) hM -= m * Math.log2(m);
  }
  return Math.max(0, hM - 0.5 * (hP + hQ));
}

/** Resample indices: `resamples` rows of n item indices drawn with replacement (seeded). */
export function resampleIndices(n: number, resamples: number, seed: number): Int32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: resamples }, () => {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    return idx;
  });
}

export interface Interval {
  value: number | null;
  ci: [number, number] | null;
}

/** Percentile interval of a statistic of the items over the resamples (NaN/∞ statistics are dropped). */
export function bootstrapStat(resamples: Int32Array[], stat: (idx: ArrayLike<number> | null) => number, level = 0.95): Interval {
  const value = stat(null);
  const draws = resamples.map((idx) => stat(idx)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!Number.isFinite(value)) return { value: null, ci: null };
  if (draws.length < resamples.length / 2) return { value, ci: null };
  const lo = Math.floor((draws.length * (1 - level)) / 2);
  const hi = Math.min(draws.length - 1, Math.max(lo, Math.ceil((draws.length * (1 + level)) / 2) - 1));
  return { value, ci: [draws[lo], draws[hi]] };
}

/** Mean of `xs` over the items `idx` (all items when null). */
export function meanOver(xs: ArrayLike<number>, idx: ArrayLike<number> | null): number {
  const n = idx ? idx.length : xs.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[idx ? idx[i] : i];
  return s / n;
}

export function meanInterval(xs: ArrayLike<number>, resamples: Int32Array[]): Interval {
  return bootstrapStat(resamples, (idx) => meanOver(xs, idx));
}

/** Mean paired difference a − b with its interval. */
export function diffInterval(a: ArrayLike<number>, b: ArrayLike<number>, resamples: Int32Array[]): Interval {
  const d = Array.from(a, (x, i) => x - b[i]);
  return meanInterval(d, resamples);
}

/**
 * Normalized recovery (mean(x) − mean(lo)) / (mean(hi) − mean(lo)) with a paired interval. Null
 * when |mean(hi) − mean(lo)| < `minGap` (no effect to recover: the ratio would be noise).
 */
export function recoveryInterval(x: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, resamples: Int32Array[], minGap = 1e-6): Interval {
  const stat = (idx: ArrayLike<number> | null) => {
    const gap = meanOver(hi, idx) - meanOver(lo, idx);
    return Math.abs(gap) < minGap ? NaN : (meanOver(x, idx) - meanOver(lo, idx)) / gap;
  };
  return bootstrapStat(resamples, stat);
}

/** Two-sided empirical p-value of `observed` against null draws: (1 + #{|null| ≥ |observed|}) / (N + 1). */
export function nullPValue(observed: number, nulls: readonly number[]): number {
  const a = Math.abs(observed);
  return (1 + nulls.filter((x) => Math.abs(x) >= a - 1e-12).length) / (nulls.length + 1);
}

/** One-sided empirical p-value: (1 + #{null ≥ observed}) / (N + 1). */
export function nullPValueGreater(observed: number, nulls: readonly number[]): number {
  return (1 + nulls.filter((x) => x >= observed - 1e-12).length) / (nulls.length + 1);
}

/** q-quantile (linear interpolation) of values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** Holm's step-down adjusted p-values (family-wise error), in the input order. */
export function holm(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((i, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p[i]));
    out[i] = running;
  });
  return out;
}

/** Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order. */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a]);
  const out = new Array<number>(m);
  let running = 1;
  order.forEach((i, k) => {
    const rank = m - k;
    running = Math.min(running, (p[i] * m) / rank);
    out[i] = Math.min(1, running);
  });
  return out;
}

export type Correction = 'holm' | 'bh';

export function adjust(p: readonly number[], method: Correction): number[] {
  return method === 'holm' ? holm(p) : benjaminiHochberg(p);
}
