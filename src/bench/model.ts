/**
 * `rlvr bench model`: generation tokens/s (batch 1 and 32, 128 new tokens after a 16-token
 * prompt, greedy and sampled) and scoring tokens/s (16 × 128) on the standard tiny model, with
 * PyTorch's numbers (eager KV-cache decode loop) in the same run; and, on a 0.5B-parameter random
 * Qwen2-shaped checkpoint written by init-model, in a process of its own: load, greedy generation
 * at batch 1 and 8, scoring 8 × 224, `--big-train-steps` (default 3) training steps of 4 × 256
 * with their forward+backward and optimizer times, peak RSS per phase, the read bandwidth
 * (measured right before and after the fp32 decoding, the higher reading) and batch-1 decode
 * steps as a fraction of its limit (`--big 0` skips all of it; the training steps need ~12 GB
 * free); then PyTorch on the same checkpoint and work (scripts/torch_reference/bench.py big),
 * with `*_speedup` fields and the peak-RSS ratio, or a `torch_note` saying why there is no
 * PyTorch row; and the train step and scoring against the measured GEMM rate (bigRoofline).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSampling } from '../backends/policy.ts';
import { CausalLM } from '../model/causal-lm.ts';
import { generateIds } from '../model/generate.ts';
import { initModelDir } from '../model/init.ts';
import { scoreIds } from '../model/score.ts';
import { defaultThreads } from '../tensor/index.ts';
import { ALLOCATOR_ENV } from '../util/allocator.ts';
import { Rng } from '../util/rng.ts';
import { parseModelConfig } from '../model/config.ts';
import type { BigProbeOptions } from './big-probe.ts';
import { STANDARD_TINY } from './engine.ts';
import { gemmGflopsPerS } from './gemm.ts';
import { forwardMatmulFlops, trainStepMatmulFlops } from './model-flops.ts';
import { medianMs, numericArgs } from './timing.ts';
import { torchReference } from './torch-reference.ts';

export const QWEN2_05B = {
  model_type: 'qwen2',
  vocab_size: 151936,
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1e6,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  max_position_embeddings: 32768,
};

export const BENCH_DIR = '.bench';
/** The 0.5B scoring row: 8 sequences of 224 tokens. */
const SCORE_ROWS = 8;
const SCORE_LEN = 224;

export function benchModelDir(name: string, raw: Record<string, unknown>, dtype: 'F32' | 'BF16'): string {
  const dir = join(BENCH_DIR, name);
  if (!existsSync(join(dir, 'config.json'))) {
    mkdirSync(BENCH_DIR, { recursive: true });
    initModelDir({ rawConfig: raw, configSource: name, tokenizer: 'char', seed: 0, out: dir, dtype });
  }
  return dir;
}

/** Median over the steps after the first (the first compiles and touches fresh memory): forward + backward + optimizer seconds. */
function steadyStepSeconds(steps: unknown): number | null {
  if (!Array.isArray(steps) || steps.length === 0) return null;
  const later = (steps.length > 1 ? steps.slice(1) : steps) as Array<{ forward_backward_s: number; optimizer_s: number }>;
  const totals = later.map((s) => s.forward_backward_s + s.optimizer_s).sort((a, b) => a - b);
  return totals[Math.floor(totals.length / 2)];
}

/** `*_speedup` (engine rate / PyTorch rate, or PyTorch time / engine time) and the peak-RSS ratio of the 0.5B rows. */
export function bigSpeedups(engine: Record<string, unknown>, torch: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['generate_greedy_b1_tokens_per_s', 'generate_greedy_b8_tokens_per_s', 'score_tokens_per_s']) {
    const ours = engine[key];
    const ref = torch[`torch_${key}`];
    if (typeof ours === 'number' && typeof ref === 'number') out[`${key.replace(/_tokens_per_s$/, '')}_speedup`] = ours / ref;
  }
  const ours = steadyStepSeconds(engine.train_steps);
  const ref = steadyStepSeconds(torch.torch_train_steps);
  if (ours !== null && ref !== null) {
    out.train_step_s = ours;
    out.torch_train_step_s = ref;
    out.train_step_speedup = ref / ours;
  }
  if (typeof engine.peak_rss_gb === 'number' && typeof torch.torch_peak_rss_gb === 'number') out.peak_rss_vs_torch = engine.peak_rss_gb / torch.torch_peak_rss_gb;
  return out;
}

/**
 * The 0.5B train step and scoring against the measured GEMM rate: their matrix-product GFLOP, the
 * rate each implementation reached (`*_gflops_per_s`, as a fraction of the GEMM rate), and
 * `*_speedup_ceiling`: PyTorch's time over the least time the work could take at the GEMM rate
 * (every product at that rate, nothing else) — no speedup over PyTorch above it is possible here.
 */
export function bigRoofline(r: Record<string, unknown>, gemmGflops: number, trainGflop: number, scoreGflop: number, scoreTokens: number): Record<string, number> {
  const out: Record<string, number> = { gemm_gflops_per_s: gemmGflops, train_step_matmul_gflop: trainGflop, score_matmul_gflop: scoreGflop };
  const rows: Array<[string, number, unknown, unknown]> = [
    ['train_step', trainGflop, steadyStepSeconds(r.train_steps), steadyStepSeconds(r.torch_train_steps)],
    ['score', scoreGflop, typeof r.score_tokens_per_s === 'number' ? scoreTokens / r.score_tokens_per_s : null, typeof r.torch_score_tokens_per_s === 'number' ? scoreTokens / r.torch_score_tokens_per_s : null],
  ];
  for (const [name, gflop, ours, ref] of rows) {
    if (typeof ours === 'number') {
      out[`${name}_gflops_per_s`] = gflop / ours;
      out[`${name}_fraction_of_gemm`] = gflop / ours / gemmGflops;
    }
    if (typeof ref === 'number') {
      out[`torch_${name}_gflops_per_s`] = gflop / ref;
      out[`torch_${name}_fraction_of_gemm`] = gflop / ref / gemmGflops;
      out[`${name}_speedup_ceiling`] = ref / (gflop / gemmGflops);
    }
  }
  return out;
}

/** The 0.5B rows (src/bench/big-probe.ts) in a fresh process, so that its peak RSS is its own. */
function runBigProbe(o: BigProbeOptions): Record<string, unknown> {
  const probe = new URL('./big-probe.ts', import.meta.url).pathname;
  const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), probe, JSON.stringify(o)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    // int8 sessions hold their pre-packed weights (~0.6 GB each at 0.5B): room for a prefill and a decode graph of both batch sizes
    // the allocator settings the CLI starts with, also when the bench itself was started without them
    env: { ...process.env, ...ALLOCATOR_ENV, RLVR_SESSION_CACHE_MB: process.env.RLVR_SESSION_CACHE_MB ?? '4096' },
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) return { error: `0.5B probe failed (exit ${run.status ?? run.signal}); see its progress lines above` };
  return JSON.parse(run.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
}

export async function runBench(args: string[]): Promise<object> {
  const opt = numericArgs(args, { newTokens: 128, promptLen: 16, runs: 3, big: 1, bigNewTokens: 128, bigTrainSteps: 3, bigTrainRows: 4, bigTrainLen: 256, bigInt8: 1 });
  const lm = CausalLM.load(benchModelDir('standard-tiny', { ...STANDARD_TINY, max_position_embeddings: 2048 }, 'F32'));
  const rng = new Rng(1);
  const prompt = (n: number) => Array.from({ length: n }, () => 5 + rng.int(90));
  const result: Record<string, unknown> = { suite: 'model', threads: defaultThreads(), prompt_len: opt.promptLen, new_tokens: opt.newTokens };
  for (const batch of [1, 32]) {
    const prompts = Array.from({ length: batch }, () => prompt(opt.promptLen));
    for (const mode of ['greedy', 'sampled'] as const) {
      const params = { ...defaultSampling, maxNewTokens: opt.newTokens, temperature: mode === 'greedy' ? 0 : 1, seed: 3 };
      // EOS is ignored, as in the PyTorch loop: every row produces all its tokens
      const ms = await medianMs(() => generateIds(lm, prompts, params, { maxBatch: 32, ignoreEos: true }), opt.runs, 1);
      result[`generate_${mode}_b${batch}_tokens_per_s`] = ((batch * opt.newTokens) / ms) * 1000;
    }
  }
  const pairs = Array.from({ length: 16 }, () => ({ promptIds: prompt(16), completionIds: prompt(112) }));
  const scoreMs = await medianMs(() => scoreIds(lm, pairs, { maxBatch: 16 }), 5, 2);
  result.score_tokens_per_s = ((16 * 128) / scoreMs) * 1000;
  result.tiny_peak_rss_mb = process.resourceUsage().maxRSS / 1024;

  const torch = torchReference('model', ['--threads', String(defaultThreads()), '--new-tokens', String(opt.newTokens), '--prompt-len', String(opt.promptLen)]);
  result.torch_note = torch.note;
  if (torch.result) {
    for (const key of Object.keys(result)) {
      const ref = torch.result[`torch_${key}`];
      if (typeof ref === 'number') {
        result[`torch_${key}`] = ref;
        result[`${key.replace(/_tokens_per_s$/, '')}_speedup`] = (result[key] as number) / ref;
      }
    }
  }
  if (opt.big) {
    const started = performance.now();
    const dir = benchModelDir('qwen2-0.5b-random', QWEN2_05B, 'BF16');
    result.big_init_ms = performance.now() - started;
    const big = runBigProbe({
      dir,
      promptLen: 32,
      newTokens: opt.bigNewTokens,
      genBatches: [1, 8],
      scoreRows: SCORE_ROWS,
      scoreLen: SCORE_LEN,
      trainSteps: opt.bigTrainSteps,
      trainRows: opt.bigTrainRows,
      trainLen: opt.bigTrainLen,
      compareInt8: opt.bigInt8 === 1,
    });
    const gemm = await gemmGflopsPerS();
    const bigResult: Record<string, unknown> = { dir, dtype_on_disk: 'BF16', weights: 'fp32', ...big };
    const bandwidth = big.read_bandwidth_gb_per_s;
    const b1 = big.decode_steps_b1_tokens_per_s;
    if (typeof bandwidth === 'number') {
      // a batch-1 decode step reads every fp32 weight once
      bigResult.decode_b1_bandwidth_limit_tokens_per_s = (bandwidth * 1e9) / (4 * (big.parameters as number));
      bigResult.decode_b1_fraction_of_bandwidth = typeof b1 === 'number' ? (b1 * 4 * (big.parameters as number)) / (bandwidth * 1e9) : null;
    }
    // PyTorch on the same checkpoint and work, after the engine's probe has exited (one 0.5B process at a time)
    const torchBig = torchReference('big', [
      '--model-dir',
      dir,
      '--threads',
      String(defaultThreads()),
      '--new-tokens',
      String(opt.bigNewTokens),
      '--train-steps',
      String(opt.bigTrainSteps),
      '--train-rows',
      String(opt.bigTrainRows),
      '--train-len',
      String(opt.bigTrainLen),
    ]);
    bigResult.torch_note = torchBig.note;
    if (torchBig.result) Object.assign(bigResult, torchBig.result, bigSpeedups(big, torchBig.result));
    const shape = parseModelConfig(QWEN2_05B, 'the 0.5B bench config');
    const trainGflop = trainStepMatmulFlops(shape, opt.bigTrainRows, opt.bigTrainLen) / 1e9;
    bigResult.gemm_gflops_per_s_by_shape = gemm.by_shape;
    Object.assign(bigResult, bigRoofline(bigResult, gemm.best, trainGflop, forwardMatmulFlops(shape, SCORE_ROWS, SCORE_LEN) / 1e9, SCORE_ROWS * SCORE_LEN));
    result.big_model = bigResult;
  }
  return result;
}
