import { Rng } from '../util/rng.ts';

export interface BootstrapOptions {
  /** Number of resamples; default 1000. */
  resamples?: number;
  /** Default 0.95. */
  level?: number;
  seed?: number;
}

/**
 * Percentile bootstrap confidence interval for the mean of per-item values: resample the items
 * with replacement, take the mean of each resample, and report the (1−level)/2 and (1+level)/2
 * empirical quantiles of those means (order statistics ⌊B·(1−level)/2⌋ and ⌈B·(1+level)/2⌉ − 1,
 * 0-based). The same seed and item count draw the same resamples, so metrics are paired.
 */
export function bootstrapMeanCI(values: readonly number[], opts: BootstrapOptions = {}): [number, number] {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const n = values.length;
  if (n === 0) return [NaN, NaN];
  const rng = new Rng(opts.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[rng.int(n)];
    means[b] = sum / n;
  }
  means.sort();
  const lo = Math.floor((resamples * (1 - level)) / 2);
  const hi = Math.max(lo, Math.ceil((resamples * (1 + level)) / 2) - 1);
  return [means[lo], means[Math.min(hi, resamples - 1)]];
}
