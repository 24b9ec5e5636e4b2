/**
 * `rlvr bench ort-profile FILE [--run K]`: where one session run's time went, from a profile that
 * ONNX Runtime wrote (run anything with RLVR_ORT_PROFILE=PREFIX). Kernel time of run K (1-based;
 * default the last run in the file) summed by op type, the GEMM share (Gemm, MatMul and their
 * fused forms) and the slowest nodes with their output shapes.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; output_type_shape?: Array<Record<string, number[]>>; output_size?: string };
}

export interface OpTime {
  op: string;
  ms: number;
  share: number;
  nodes: number;
}

export interface RunProfile {
  run: number;
  runs: number;
  run_ms: number;
  kernel_ms: number;
  gemm_share: number;
  by_op: OpTime[];
  slowest: Array<{ node: string; op: string; ms: number; output: string }>;
}

const GEMM_OPS = new Set(['Gemm', 'MatMul', 'FusedMatMul', 'FusedGemm', 'MatMulNBits', 'QGemm', 'MatMulInteger']);

function readEvents(file: string): ProfileEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`ort-profile: cannot read ${file} as JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new UserError(`ort-profile: ${file} is not an ONNX Runtime profile (expected a JSON array of events)`);
  return parsed as ProfileEvent[];
}

/** Kernel times of run `run` (1-based, default the last) of an ONNX Runtime profile's events. */
export function summarizeRun(events: readonly ProfileEvent[], run?: number, top = 15): RunProfile {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  if (runs.length === 0) throw new UserError('ort-profile: the profile has no model_run event (was the session run before profiling ended?)');
  const k = run ?? runs.length;
  if (!Number.isInteger(k) || k < 1 || k > runs.length) throw new UserError(`ort-profile: --run must be 1–${runs.length}, got ${run}`);
  const window = runs[k - 1];
  const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= window.ts && e.ts + e.dur <= window.ts + window.dur);
  const byOp = new Map<string, { us: number; nodes: number }>();
  for (const e of nodes) {
    const op = e.args?.op_name ?? 'unknown';
    const entry = byOp.get(op) ?? { us: 0, nodes: 0 };
    entry.us += e.dur;
    entry.nodes += 1;
    byOp.set(op, entry);
  }
  const kernelUs = nodes.reduce((s, e) => s + e.dur, 0);
  const share = (us: number) => (kernelUs > 0 ? us / kernelUs : 0);
  const gemmUs = [...byOp].filter(([op]) => GEMM_OPS.has(op)).reduce((s, [, v]) => s + v.us, 0);
  const shape = (e: ProfileEvent) =>
    (e.args?.output_type_shape ?? []).map((o) => Object.entries(o).map(([dtype, dims]) => `${dtype}[${dims.join(', ')}]`).join('')).join(', ');
  return {
    run: k,
    runs: runs.length,
    run_ms: window.dur / 1000,
    kernel_ms: kernelUs / 1000,
    gemm_share: share(gemmUs),
    by_op: [...byOp]
      .map(([op, v]) => ({ op, ms: v.us / 1000, share: share(v.us), nodes: v.nodes }))
      .sort((a, b) => b.ms - a.ms),
    slowest: [...nodes]
      .sort((a, b) => b.dur - a.dur)
      .slice(0, top)
      .map((e) => ({ node: e.name.replace(/_kernel_time$/, ''), op: e.args?.op_name ?? 'unknown', ms: e.dur / 1000, output: shape(e) })),
  };
}

export async function runBench(args: string[]): Promise<RunProfile & { file: string }> {
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) throw new UserError('usage: rlvr bench ort-profile FILE [--run K] (FILE: a profile written with RLVR_ORT_PROFILE=PREFIX)');
  const at = args.indexOf('--run');
  const run = at >= 0 ? Number(args[at + 1]) : undefined;
  return { file, ...summarizeRun(readEvents(file), run) };
}
