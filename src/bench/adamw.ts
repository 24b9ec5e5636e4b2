/**
 * `rlvr bench adamw`: one AdamW update over `--params` parameters (default 494,032,768, the
 * 0.5B model; 16 bytes per parameter of memory), `--steps` updates with the helper threads, then
 * the same number on the calling thread alone (same optimizer, helpers closed), each timed;
 * ns per parameter and the effective bandwidth (28 bytes per parameter: g, m, v, p read, m, v, p
 * written) from the median of the steps after the first, with the process's CPU time per step
 * beside the wall time; `construct_s` is the optimizer's construction (the moments allocated and
 * their pages faulted in).
 */
import { AdamW } from '../tensor/optim.ts';
import { ParamStore } from '../tensor/params.ts';
import { defaultThreads } from '../tensor/session.ts';
import { benchMedian, numericArgs } from './timing.ts';

export async function runBench(args: string[]): Promise<object> {
  const opt = numericArgs(args, { params: 494_032_768, steps: 4 });
  const n = opt.params;
  const store = new ParamStore([{ name: 'w.weight', shape: [n] }]);
  store.data.fill(0.02);
  const grad = store.like();
  for (let i = 0; i < n; i += 4096) grad.fill(((i % 7) - 3) * 1e-4, i, Math.min(n, i + 4096));
  const constructStart = performance.now();
  const adamw = new AdamW(store, {}, {});
  const helpers = adamw.helperCount;
  await adamw.helpersReady();
  // allocating the moments and faulting their pages in happens here, once
  const constructSeconds = (performance.now() - constructStart) / 1000;
  // wall time, and the CPU time of the process (all its threads): on a loaded machine the wall
  // time measures the scheduler as much as the update
  const time = () => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    adamw.step(grad, 1e-5);
    const cpu = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
  };
  const threaded = Array.from({ length: opt.steps }, time);
  adamw.close();
  const alone = Array.from({ length: opt.steps }, time);
  const summary = (runs: Array<{ wall: number; cpu: number }>) => {
    const s = benchMedian(runs.slice(1).map((r) => r.wall));
    const cpu = benchMedian(runs.slice(1).map((r) => r.cpu));
    return {
      seconds: runs.map((r) => r.wall),
      cpu_seconds: runs.map((r) => r.cpu),
      median_after_first_s: s,
      cpu_median_after_first_s: cpu,
      ns_per_param: (s * 1e9) / n,
      cpu_ns_per_param: (cpu * 1e9) / n,
      effective_gb_per_s: (28 * n) / s / 1e9,
    };
  };
  return { suite: 'adamw', params: n, threads: defaultThreads(), helpers, construct_s: constructSeconds, with_helpers: summary(threaded), calling_thread_alone: summary(alone) };
}
