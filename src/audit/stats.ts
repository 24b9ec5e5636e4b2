import { bootstrapMeanCI, type BootstrapOptions } from '../eval/bootstrap.ts';
import type { Estimate } from '../eval/metrics.ts';
import { Rng } from '../util/rng.ts';

function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function meanEstimate(values: readonly number[], bootstrap: BootstrapOptions = {}): Estimate {
  return { value: mean(values), ci: bootstrapMeanCI(values, bootstrap) };
}

/**
 * The median with a percentile-bootstrap CI drawn exactly as bootstrapMeanCI draws its resamples
 * (same generator, seed and order statistics), so the two intervals use the same resamples.
 */
export function medianEstimate(values: readonly number[], opts: BootstrapOptions = {}): Estimate {
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const n = values.length;
  if (n === 0) return { value: NaN, ci: [NaN, NaN] };
  const rng = new Rng(opts.seed ?? 0);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[rng.int(n)];
    medians[b] = median(sample);
  }
  medians.sort();
  const lo = Math.floor((resamples * (1 - level)) / 2);
  const hi = Math.min(resamples - 1, Math.max(lo, Math.ceil((resamples * (1 + level)) / 2) - 1));
  return { value: median(values), ci: [medians[lo], medians[hi]] };
}
