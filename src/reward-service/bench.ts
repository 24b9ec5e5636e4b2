/**
 * `rlvr bench rewards`: the reward service under load, from a separate server process (the
 * load generator's own CPU use is part of the picture on a small machine, as it would be for a
 * trainer on the same host). MATH-500 (solution, answer) pairs, and the same with 1% of items
 * replaced by pathological inputs; batch 1 (OpenRLHF's pattern) and 256 (verl's) at
 * concurrency 1, 16, 64, 256; then optionally a long run watching the server's memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';
import { latencyPercentile } from '../bench/timing.ts';

const MATH500 = fileURLToPath(new URL('../../data/benchmarks/math500.jsonl', import.meta.url));
const RLVR = fileURLToPath(new URL('../../bin/rlvr.mjs', import.meta.url));
const CONFIG = 'rewards:\n  - { name: accuracy, weight: 1 }\n  - { name: boxed_format, weight: 0.1 }\n';

interface Item {
  response: string;
  gold: string;
}

/** Inputs known to be costly or hostile for a math verifier: huge, deep, overflowing or CAS-heavy. */
const PATHOLOGICAL: Item[] = [
  { response: '\\boxed{9^{9^{9^{9^{9}}}}}', gold: '1' },
  { response: `\\boxed{${'\\frac{1}{'.repeat(40)}2${'}'.repeat(40)}}`, gold: '1' },
  { response: `\\boxed{${Array.from({ length: 400 }, (_, i) => `x^{${i}}`).join('+')}}`, gold: '1' },
  { response: `${'so '.repeat(100_000)}\\boxed{1}`, gold: '1' },
  { response: '\\boxed{1} '.repeat(20_000), gold: '1' },
  { response: '\\boxed{(x+1)^{29}(x+1)}', gold: '(x+1)^{30}' },
  { response: '\\boxed{100000!}', gold: '1' },
  { response: `\\boxed{${'('.repeat(500)}1${')'.repeat(500)}}`, gold: '1' },
];

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const n = Number(args[at + 1]);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`--${name} must be a non-negative number, got '${args[at + 1]}'`);
  return n;
}


/** Resident and peak resident memory of a process (all its threads), in MB. */
function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** CPU seconds a process (all threads) has used: utime + stime from /proc, in clock ticks of 1/100 s. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startServer(threads: number, timeoutMs: number): Promise<{ child: ChildProcess; url: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-bench-rewards-'));
  writeFileSync(join(dir, 'rewards.yaml'), CONFIG);
  const child = spawn(process.execPath, [RLVR, 'serve-rewards', '--config', join(dir, 'rewards.yaml'), '--port', '0', '--threads', String(threads), '--timeout-ms', String(timeoutMs), '--max-items', '256'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve-rewards exited with code ${code} before listening`)));
  });
  return { child, url, dir };
}

/** One POST /score over keep-alive connections; node:http costs the load generator less CPU per request than fetch. */
const agent = new Agent({ keepAlive: true, maxSockets: 512 });
interface Answer {
  status: number;
  retryAfter: number;
  body: string;
}
function post(url: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/score`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 1), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Scenario {
  data: string;
  batch: number;
  concurrency: number;
}

async function runScenario(url: string, pid: number, items: Item[], s: Scenario, seconds: number) {
  const cpu0 = cpuSeconds(pid);
  const clientCpu0 = process.cpuUsage();
  const latencies: number[] = [];
  let requests = 0;
  let scored = 0;
  let failed = 0;
  let timeouts = 0;
  let retried = 0;
  let next = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: s.concurrency }, async () => {
      while (performance.now() < deadline) {
        const batch = Array.from({ length: s.batch }, () => items[next++ % items.length]);
        const t = performance.now();
        try {
          const body = JSON.stringify({ solution_strs: batch.map((b) => b.response), ground_truths: batch.map((b) => b.gold) });
          let res = await post(url, body);
          // A full queue answers 429 + Retry-After; a well-behaved client waits and resends.
          while (res.status === 429) {
            retried++;
            await new Promise((r) => setTimeout(r, res.retryAfter * 1000));
            res = await post(url, body);
          }
          const answer = JSON.parse(res.body) as { results?: Array<{ timeout: boolean }> };
          if (res.status !== 200 || answer.results?.length !== s.batch) failed++;
          else {
            scored += s.batch;
            timeouts += answer.results.filter((r) => r.timeout).length;
          }
        } catch {
          failed++;
        }
        latencies.push(performance.now() - t);
        requests++;
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const serverCpu = cpuSeconds(pid) - cpu0;
  const clientCpu = process.cpuUsage(clientCpu0);
  latencies.sort((a, b) => a - b);
  return {
    ...s,
    requests,
    failed,
    itemsPerSec: Math.round(scored / wall),
    requestsPerSec: Math.round(requests / wall),
    p50Ms: +latencyPercentile(latencies, 0.5).toFixed(2),
    p99Ms: +latencyPercentile(latencies, 0.99).toFixed(2),
    timeouts,
    retriedAfter429: retried,
    // CPU time per request and per item is what a loaded, shared machine distorts least:
    // divided into the cores it gives the capacity of an otherwise idle machine.
    serverCpuMsPerRequest: +((serverCpu * 1000) / Math.max(1, requests)).toFixed(3),
    serverCpuMsPerItem: +((serverCpu * 1000) / Math.max(1, scored)).toFixed(4),
    clientCpuMsPerRequest: +((clientCpu.user + clientCpu.system) / 1000 / Math.max(1, requests)).toFixed(3),
  };
}

/** Sends `total` items in batches of 256, 4 requests at a time, sampling the server's memory. */
async function longRun(url: string, pid: number, items: Item[], total: number) {
  const samples: Array<{ items: number; rssMb: number }> = [];
  let sent = 0;
  let failed = 0;
  let nextSample = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (sent < total) {
        const start = sent;
        sent += 256;
        const batch = Array.from({ length: 256 }, (_, k) => items[(start + k) % items.length]);
        const res = await post(url, JSON.stringify({ solution_strs: batch.map((b) => b.response), ground_truths: batch.map((b) => b.gold) })).catch(() => null);
        if (res?.status !== 200) failed++;
        if (sent >= nextSample) {
          nextSample += Math.max(256, Math.floor(total / 20));
          samples.push({ items: sent, rssMb: memoryMb(pid).rss });
        }
      }
    }),
  );
  const rss = samples.map((s) => s.rssMb);
  const half = rss.slice(Math.floor(rss.length / 2));
  return { items: sent, failedRequests: failed, seconds: +((performance.now() - t0) / 1000).toFixed(1), rssSamples: samples, rssFirstMb: rss[0], rssLastMb: rss[rss.length - 1], rssMaxSecondHalfMb: Math.max(...half), rssMinSecondHalfMb: Math.min(...half) };
}

/**
 * `bench rewards [--seconds S] [--threads N] [--timeout-ms MS] [--long ITEMS]`: every scenario
 * runs S seconds (default 3); --long sends that many more items afterwards (e.g. 200000).
 */
export async function runBench(args: string[]): Promise<object> {
  const seconds = flag(args, 'seconds', 3);
  const threads = flag(args, 'threads', 2);
  const timeoutMs = flag(args, 'timeout-ms', 2000);
  const long = flag(args, 'long', 0);
  const math = readFileSync(MATH500, 'utf8').trim().split('\n').map((l) => {
    const r = JSON.parse(l) as { solution: string; answer: string };
    return { response: r.solution, gold: r.answer };
  });
  // 1% pathological: every 100th item, cycling through the hostile inputs.
  const mixed = math.map((item, i) => (i % 100 === 50 ? PATHOLOGICAL[Math.floor(i / 100) % PATHOLOGICAL.length] : item));
  const server = await startServer(threads, timeoutMs);
  try {
    const idle = memoryMb(server.child.pid!);
    const scenarios: Array<Awaited<ReturnType<typeof runScenario>>> = [];
    for (const [data, items] of [['math500', math], ['math500+1%pathological', mixed]] as const) {
      await runScenario(server.url, server.child.pid!, items, { data, batch: 256, concurrency: 2 }, 1); // warm-up: JIT in every worker
      for (const batch of [1, 256]) {
        for (const concurrency of [1, 16, 64, 256]) scenarios.push(await runScenario(server.url, server.child.pid!, items, { data, batch, concurrency }, seconds));
      }
    }
    const mem = memoryMb(server.child.pid!);
    const longResult = long > 0 ? await longRun(server.url, server.child.pid!, math, long) : null;
    const at = (data: string, batch: number, c: number) => scenarios.find((s) => s.data === data && s.batch === batch && s.concurrency === c)!;
    const batchedBest = Math.max(...scenarios.filter((s) => s.data === 'math500' && s.batch === 256).map((s) => s.itemsPerSec));
    const single64 = at('math500', 1, 64);
    const peakMb = memoryMb(server.child.pid!).peak;
    return {
      machine: { cpus: availableParallelism(), loadavg1: +loadavg()[0].toFixed(2), note: 'shared machine: same-run ratios only' },
      server: { threads, timeoutMs, rewards: 'accuracy×1 + boxed_format×0.1' },
      scenarios,
      rssMb: { idle: idle.rss, afterScenarios: mem.rss, peak: peakMb },
      long: longResult,
      targets: {
        batchedItemsPerSec: { want: '>= 2000', got: batchedBest, met: batchedBest >= 2000 },
        batch1Concurrency64: {
          want: '>= 1000 req/s, p99 <= 50 ms',
          got: { requestsPerSec: single64.requestsPerSec, p99Ms: single64.p99Ms },
          met: single64.requestsPerSec >= 1000 && single64.p99Ms <= 50,
          // what 2 idle cores would give the server alone (its CPU per request), client elsewhere
          idleTwoCoreCapacityRequestsPerSec: Math.round(2000 / single64.serverCpuMsPerRequest),
        },
        failedRequests: { want: 0, got: scenarios.reduce((n, s) => n + s.failed, 0) + (longResult?.failedRequests ?? 0), retriedAfter429: scenarios.reduce((n, s) => n + s.retriedAfter429, 0) },
        peakRssMb: { want: '<= 400', got: peakMb, met: peakMb <= 400 },
      },
    };
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    rmSync(server.dir, { recursive: true, force: true });
  }
}
