import { UserError } from '../util/errors.ts';

/** Wall times in ms of `fn` over `runs` runs after `warmup` unmeasured ones, ascending. */
async function sortedTimesMs(fn: () => Promise<unknown> | unknown, runs: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

/** Median wall time in ms of `fn` over `runs` runs after `warmup` unmeasured ones. */
export async function medianMs(fn: () => Promise<unknown> | unknown, runs: number, warmup: number): Promise<number> {
  const times = await sortedTimesMs(fn, runs, warmup);
  const mid = times.length >> 1;
  return times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

/** Fastest wall time in ms of `fn` over `runs` runs after one unmeasured warm-up (for rates bounded by the machine). */
export async function bestMs(fn: () => Promise<unknown>, runs: number): Promise<number> {
  return (await sortedTimesMs(fn, runs, 1))[0];
}

/** Nearest-rank percentile of ascending `sorted` values (the element at ⌊q·n⌋; NaN when empty), as latency benches report p50/p99. */
export function latencyPercentile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The nearest-rank median of unsorted values (the upper one of an even count), as the benches report it. */
export function benchMedian(values: readonly number[]): number {
  return latencyPercentile([...values].sort((a, b) => a - b), 0.5);
}

/** Parses `--name value` pairs of a bench suite's arguments (numbers only), with defaults. */
export function numericArgs<T extends Record<string, number>>(args: string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = Number(args[i + 1]);
    if (!(key in defaults) || !Number.isFinite(value)) {
      throw new UserError(`bench: unknown or bad argument ${args[i]} ${args[i + 1] ?? ''} (takes ${Object.keys(defaults).join(', ')})`);
    }
    out[key] = value;
  }
  return out as T;
}

/** A wrapper that runs a named phase and records its wall time in seconds into `timings`. */
export function phaseTimer(timings: Record<string, number>): <T>(name: string, fn: () => Promise<T>) => Promise<T> {
  return async (name, fn) => {
    const t0 = Date.now();
    const r = await fn();
    timings[name] = (Date.now() - t0) / 1000;
    return r;
  };
}
