import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';
import { latencyPercentile } from '../bench/timing.ts';
import { EXTRACTION_PRESETS } from './extract.ts';
import { VerifierPool } from './pool.ts';
import { verifyPair, type VerifyResult } from './verify.ts';

const MIN_TIMED_PAIRS = 10_000;

type Pair = { gold: string; pred: string; expected?: boolean };

const MATH500 = fileURLToPath(new URL('../../data/benchmarks/math500.jsonl', import.meta.url));
const LABELED = fileURLToPath(new URL('../../tests/fixtures/verify/pairs.jsonl', import.meta.url));
const FREEFORM = fileURLToPath(new URL('../../tests/fixtures/verify/freeform.jsonl', import.meta.url));

function readJsonl(path: string): Array<Record<string, unknown>> {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** CPU seconds of this process (all threads) since `from`: unlike wall time, not inflated by other processes. */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

function summarize(latencies: number[], seconds: number, results: VerifyResult[], pairs?: Pair[], cpu?: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const reasons: Record<string, number> = {};
  for (const r of results) {
    const key = r.reason.split(/[:(]/)[0].trim();
    reasons[key] = (reasons[key] ?? 0) + 1;
  }
  return {
    pairs: results.length,
    correct: results.filter((r) => r.correct).length,
    pairsPerSec: Math.round(results.length / seconds),
    ...(cpu ? { pairsPerCpuSec: Math.round(results.length / cpu) } : {}),
    p50Ms: +latencyPercentile(sorted, 0.5).toFixed(3),
    p99Ms: +latencyPercentile(sorted, 0.99).toFixed(3),
    maxMs: +sorted[sorted.length - 1].toFixed(3),
    ...(pairs?.[0]?.expected !== undefined ? agreement(pairs, results) : {}),
    reasons,
  };
}

function agreement(pairs: Pair[], results: VerifyResult[]) {
  let agree = 0;
  let falsePositives = 0;
  results.forEach((r, i) => {
    if (r.correct === pairs[i].expected) agree++;
    else if (r.correct) falsePositives++;
  });
  return { agree, falsePositives, negatives: pairs.filter((p) => !p.expected).length };
}

/** In-process on one core; the first call also serves as the warm-up. */
function inProcess(pairs: Pair[], extractors = EXTRACTION_PRESETS.math) {
  const latencies: number[] = [];
  const results: VerifyResult[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const p of pairs) {
    const t = performance.now();
    results.push(verifyPair(p.gold, p.pred, { extractors }));
    latencies.push(performance.now() - t);
  }
  return summarize(latencies, (performance.now() - t0) / 1000, results, pairs, cpuSeconds(c0));
}

/**
 * Pool throughput with start-up (workers loading and warming up) timed apart. `inWorkerShare` is
 * the verification time summed over pairs divided by threads × wall time: well below 1 means the
 * time goes to dispatch (messages, chunking) rather than to verifying.
 */
async function onPool(pairs: Pair[], threads: number, extractors = EXTRACTION_PRESETS.math, chunkSize?: number) {
  const s0 = performance.now();
  const pool = new VerifierPool({ threads, chunkSize });
  try {
    await pool.ready;
    // Start-up: workers loading, warming up, and a first pass over part of the suite (JIT).
    await pool.verifyMany(pairs.slice(0, 200), { extractors });
    const startupMs = Math.round(performance.now() - s0);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const results = await pool.verifyMany(pairs, { extractors });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(c0);
    const busy = results.reduce((a, r) => a + (Number.isFinite(r.ms) ? r.ms : 0), 0) / 1000;
    return { threads, chunkSize: chunkSize ?? 16, startupMs, inWorkerShare: +(busy / (threads * seconds)).toFixed(2), ...summarize(results.map((r) => r.ms), seconds, results, pairs, cpu) };
  } finally {
    await pool.close();
  }
}

/**
 * `bench verify [--passes N]`: pairs/s and latency on the 500 MATH-500 (solution, answer)
 * pairs (boxed answers), in-process on one core and on the worker pool with one and with all
 * threads (chunks of 16, the default, and of 128); the same on the hand-labeled pairs, and on
 * the free-form pairs (prose without boxes), with agreement and false positives. Pool latency is
 * the time each pair took inside its worker; pool start-up (workers loading, warming up, a first
 * pass) is reported apart; `pairsPerCpuSec` divides by this process's CPU time, which other
 * processes on a shared machine do not inflate.
 */
export async function runBench(args: string[]): Promise<object> {
  const at = args.indexOf('--passes');
  const passes = at >= 0 ? Number(args[at + 1]) : 4;
  if (!Number.isInteger(passes) || passes <= 0) throw new UserError(`--passes must be a positive integer, got '${args[at + 1]}'`);
  const math = readJsonl(MATH500).map((r) => ({ gold: String(r.answer), pred: String(r.solution) }));
  const labeled = readJsonl(LABELED).map((r) => ({ gold: String(r.gold), pred: String(r.pred), expected: Boolean(r.expected) }));
  const freeform = readJsonl(FREEFORM).map((r) => ({ gold: String(r.gold), pred: String(r.pred), expected: Boolean(r.expected) }));
  const prose = freeform.filter((p) => !p.pred.includes('\\boxed'));
  // Cheap suites are repeated up to at least MIN_TIMED_PAIRS, so that a timed run lasts long
  // enough for JIT tier-up and dispatch to settle (500 boxed pairs take tens of milliseconds).
  const repeat = (ps: Pair[], min = 0) => Array.from({ length: Math.max(passes, Math.ceil(min / ps.length)) }, () => ps).flat();
  // Warm-up: JIT and the CAS's lazy tables, on every suite.
  inProcess(math);
  inProcess(labeled, EXTRACTION_PRESETS.cli);
  inProcess(freeform, EXTRACTION_PRESETS.cli);
  return {
    passes,
    math500: {
      singleProcess: inProcess(repeat(math, MIN_TIMED_PAIRS)),
      pool1: await onPool(repeat(math, MIN_TIMED_PAIRS), 1),
      poolAll: await onPool(repeat(math, MIN_TIMED_PAIRS), 2),
      poolAllChunk128: await onPool(repeat(math, MIN_TIMED_PAIRS), 2, EXTRACTION_PRESETS.math, 128),
    },
    labeledPairs: {
      singleProcess: inProcess(repeat(labeled), EXTRACTION_PRESETS.cli),
      poolAll: await onPool(repeat(labeled), 2, EXTRACTION_PRESETS.cli),
    },
    freeform: {
      all: inProcess(freeform, EXTRACTION_PRESETS.cli),
      proseSingleProcess: inProcess(repeat(prose, MIN_TIMED_PAIRS), EXTRACTION_PRESETS.cli),
      prosePoolAll: await onPool(repeat(prose, MIN_TIMED_PAIRS), 2, EXTRACTION_PRESETS.cli),
      prosePoolAllChunk128: await onPool(repeat(prose, MIN_TIMED_PAIRS), 2, EXTRACTION_PRESETS.cli, 128),
    },
  };
}
