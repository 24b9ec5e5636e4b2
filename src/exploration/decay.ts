/**
 * Success rate against problem size: p(size) = exp(a − λ·size), fitted by binomial maximum
 * likelihood (a log-link binomial model: the log-likelihood is concave in (a, λ), so a nested
 * golden-section search finds the maximum), with a percentile-bootstrap CI for λ that resamples
 * items within each size. λ is the decay rate: each unit of size multiplies success by e^−λ.
 */
import { Rng } from '../util/rng.ts';

export interface SizeCounts {
  size: number;
  /** Per item: successes and samples. */
  items: Array<{ successes: number; samples: number }>;
}

export interface DecayFit {
  model: 'p(size) = exp(a - lambda * size)';
  a: number;
  lambda: number;
  /** Size increase that halves the success rate, ln 2 / λ (null when λ ≤ 0). */
  halving_size: number | null;
  lambda_ci: [number, number] | null;
  log_likelihood: number;
}

interface Cell {
  size: number;
  y: number;
  n: number;
}

function logLik(cells: readonly Cell[], a: number, lambda: number): number {
  let ll = 0;
  for (const { size, y, n } of cells) {
    const eta = a - lambda * size;
    if (eta > 1e-12) return -Infinity;
    if (y > 0) ll += y * eta;
    if (n - y > 0) {
      const q = -Math.expm1(eta);
      if (q <= 0) return -Infinity;
      ll += (n - y) * Math.log(q);
    }
  }
  return ll;
}

/** Golden-section maximization of a concave function on [lo, hi]. */
function argmax(f: (x: number) => number, lo: number, hi: number, iters = 90): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < iters; i++) {
    if (fc >= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

const LAMBDA_RANGE: [number, number] = [-10, 10];

function fitCells(cells: readonly Cell[]): { a: number; lambda: number; ll: number } | null {
  if (cells.length < 2 || cells.every((c) => c.y === 0) || new Set(cells.map((c) => c.size)).size < 2) return null;
  const bestA = (lambda: number) => {
    // feasibility: a − λ·size ≤ 0 at every size (< 0 where there are failures)
    const upper = Math.min(...cells.map((c) => lambda * c.size - (c.n > c.y ? 1e-9 : 0)));
    return argmax((a) => logLik(cells, a, lambda), upper - 60, upper);
  };
  const lambda = argmax((l) => logLik(cells, bestA(l), l), ...LAMBDA_RANGE);
  // at the edge of the range the likelihood keeps rising (e.g. all success at one size, none at
  // the next): the rate is not identifiable from these counts
  if (Math.min(lambda - LAMBDA_RANGE[0], LAMBDA_RANGE[1] - lambda) < 1e-3) return null;
  const a = bestA(lambda);
  return { a, lambda, ll: logLik(cells, a, lambda) };
}

const toCells = (sizes: readonly SizeCounts[]): Cell[] =>
  sizes.map((s) => ({ size: s.size, y: s.items.reduce((t, i) => t + i.successes, 0), n: s.items.reduce((t, i) => t + i.samples, 0) }));

export function fitDecay(sizes: readonly SizeCounts[], opts: { resamples?: number; level?: number; seed?: number } = {}): DecayFit | null {
  const fit = fitCells(toCells(sizes));
  if (!fit) return null;
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rng = new Rng(opts.seed ?? 0);
  const lambdas: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const boot = sizes.map((s) => ({ size: s.size, items: s.items.map(() => s.items[rng.int(s.items.length)]) }));
    const f = fitCells(toCells(boot));
    if (f) lambdas.push(f.lambda);
  }
  lambdas.sort((x, y) => x - y);
  const lo = Math.floor((lambdas.length * (1 - level)) / 2);
  const hi = Math.max(lo, Math.ceil((lambdas.length * (1 + level)) / 2) - 1);
  return {
    model: 'p(size) = exp(a - lambda * size)',
    a: fit.a,
    lambda: fit.lambda,
    halving_size: fit.lambda > 0 ? Math.LN2 / fit.lambda : null,
    // resamples where every success vanished cannot be fitted; the CI is over the rest
    lambda_ci: lambdas.length >= resamples / 2 ? [lambdas[lo], lambdas[Math.min(hi, lambdas.length - 1)]] : null,
    log_likelihood: fit.ll,
  };
}
