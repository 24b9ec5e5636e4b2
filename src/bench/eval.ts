/**
 * `rlvr bench eval`: can the evaluation harness keep a server busy? `serve-model` runs in a child
 * process pinned to core 0 (RLVR_THREADS=1, `taskset -c 0` when available); this process, the
 * client (runner + OpenAI-compatible backend + verifier), is pinned to core 1. For each
 * concurrency the client evaluates the same RandomCalculation items and reports throughput and its
 * own overhead: its CPU time (main thread, verifier worker, GC) per request and as a share of
 * wall time, and the main thread's event-loop utilization. Concurrency 8 is run again against a
 * server without dynamic batching (--max-batch 1) to measure what batching buys.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { OpenAIPolicy } from '../backends/openai.ts';
import { generateRandomCalc, defaultRandomCalcOptions } from '../data/randomcalc.ts';
import { runEvaluation, type EvalConfig } from '../eval/run.ts';
import { writeCharModelDir } from '../model/init.ts';
import { VerifierPool } from '../verify/pool.ts';
import { numericArgs } from './timing.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const CONCURRENCY = [1, 2, 4, 8];

const hasTaskset = () => spawnSync('taskset', ['-c', '0', 'true']).status === 0;

interface Served {
  url: string;
  child: ChildProcess;
}

async function serve(modelDir: string, maxBatch: number, pin: boolean): Promise<Served> {
  const args = [
    rlvr,
    'serve-model',
    '--model',
    modelDir,
    '--port',
    '0',
    '--model-name',
    'bench',
    '--max-batch',
    String(maxBatch),
  ];
  const [cmd, argv] = pin ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, {
    env: { ...process.env, RLVR_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve-model exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const url = /at (\S+)$/.exec(line)?.[1];
  if (!url) throw new Error(`serve-model printed ${line}`);
  return { url, child };
}

async function stop(s: Served): Promise<void> {
  const exited = new Promise((resolve) => s.child.once('exit', resolve));
  s.child.kill('SIGTERM');
  await exited;
}

interface Measured {
  concurrency: number;
  requests: number;
  wall_s: number;
  samples_per_s: number;
  response_tokens_per_s: number;
  client_cpu_s: number;
  client_cpu_ms_per_request: number;
  client_cpu_share: number;
  event_loop_utilization: number;
}

export async function runBench(args: string[]): Promise<object> {
  const opt = numericArgs(args, { items: 48, n: 1, maxNewTokens: 64, hidden: 256, layers: 4, seed: 0 });
  const work = mkdtempSync(join(tmpdir(), 'rlvr-bench-eval-'));
  const pin = hasTaskset();
  // The client's own threads (the verifier worker included, created later) stay on core 1.
  if (pin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)]);
  const modelDir = join(work, 'model');
  const modelConfig = {
    hidden_size: opt.hidden,
    intermediate_size: Math.round((opt.hidden * 8) / 3),
    num_hidden_layers: opt.layers,
    num_attention_heads: 4,
    num_key_value_heads: 2,
  };
  writeCharModelDir(modelDir, { seed: opt.seed, config: modelConfig });
  const dataset = join(work, 'randomcalc.jsonl');
  const items = [
    ...generateRandomCalc({
      ...defaultRandomCalcOptions,
      n: opt.items,
      seed: opt.seed,
      maxSteps: 4,
      createdAt: '2025-01-01T00:00:00Z',
    }),
  ];
  writeFileSync(dataset, items.map((item) => JSON.stringify(item) + '\n').join(''));

  const verifier = new VerifierPool({ threads: 1 });
  await verifier.ready;
  const config: EvalConfig = {
    dataset,
    fields: { idField: 'id' },
    template: 'qwen-boxed',
    n: opt.n,
    temperature: 0.6,
    topP: 0.95,
    maxNewTokens: opt.maxNewTokens,
    seed: opt.seed,
  };

  const measure = async (url: string, concurrency: number, limit?: number): Promise<Measured> => {
    const out = join(work, `out-${concurrency}-${Date.now()}`);
    const policy = new OpenAIPolicy({ baseURL: url, model: 'bench', concurrency, retry: { retries: 0 } });
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const results = await runEvaluation({
      policy,
      model: 'bench',
      config: { ...config, limit },
      outDir: out,
      concurrency,
      verifier,
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    policy.close();
    rmSync(out, { recursive: true, force: true });
    const requests = results.timing.samples_generated;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    return {
      concurrency,
      requests,
      wall_s: wall,
      samples_per_s: requests / wall,
      response_tokens_per_s: results.timing.response_tokens_per_s,
      client_cpu_s: cpuS,
      client_cpu_ms_per_request: (1000 * cpuS) / requests,
      client_cpu_share: cpuS / wall,
      event_loop_utilization: elu.utilization,
    };
  };

  const runs: Measured[] = [];
  let unbatched: Measured;
  let batched = await serve(modelDir, 32, pin);
  try {
    // Warm-up: graph compilation for the batch shapes this workload produces.
    for (const c of CONCURRENCY) await measure(batched.url, c, 8);
    for (const c of CONCURRENCY) runs.push(await measure(batched.url, c));
  } finally {
    await stop(batched);
  }
  batched = await serve(modelDir, 1, pin);
  try {
    await measure(batched.url, 8, 8);
    unbatched = await measure(batched.url, 8);
  } finally {
    await stop(batched);
    await verifier.close();
    rmSync(work, { recursive: true, force: true });
  }
  const at8 = runs.find((r) => r.concurrency === 8)!;
  return {
    suite: 'eval',
    setup: {
      model: { tokenizer: 'char', ...modelConfig },
      items: opt.items,
      samples_per_item: opt.n,
      max_new_tokens: opt.maxNewTokens,
      sampling: { temperature: 0.6, top_p: 0.95 },
      server: pin
        ? 'serve-model on core 0 (taskset -c 0), RLVR_THREADS=1'
        : 'serve-model, RLVR_THREADS=1 (taskset unavailable: not pinned)',
      client: pin
        ? 'this process on core 1 (taskset -a -p -c 1), 1 verifier thread'
        : 'this process (not pinned), 1 verifier thread',
    },
    runs,
    batching: {
      concurrency: 8,
      batched_samples_per_s: at8.samples_per_s,
      unbatched_samples_per_s: unbatched.samples_per_s,
      speedup: at8.samples_per_s / unbatched.samples_per_s,
    },
    client_overhead_share_at_8: at8.client_cpu_share,
    target: 'client overhead < 5% of wall time at concurrency 8',
    target_met: at8.client_cpu_share < 0.05,
  };
}
