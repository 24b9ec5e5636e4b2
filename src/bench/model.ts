/**
 * `rlvr bench model`: generation tokens/s (batch 1 and 32, 128 new tokens after a 16-token
 * prompt, greedy and sampled) and scoring tokens/s (16 × 128) on the standard tiny model, with
 * PyTorch's numbers (eager KV-cache decode loop) in the same run; and load time and peak memory of
 * a 0.5B-parameter random Qwen2-shaped checkpoint written by init-model (`--big 0` skips it).
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
import { Rng } from '../util/rng.ts';
import { STANDARD_TINY } from './engine.ts';
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

export function benchModelDir(name: string, raw: Record<string, unknown>, dtype: 'F32' | 'BF16'): string {
  const dir = join(BENCH_DIR, name);
  if (!existsSync(join(dir, 'config.json'))) {
    mkdirSync(BENCH_DIR, { recursive: true });
    initModelDir({ rawConfig: raw, configSource: name, tokenizer: 'char', seed: 0, out: dir, dtype });
  }
  return dir;
}

/** Loads a checkpoint in a fresh process, so its peak RSS is the load's own. */
function measureLoad(dir: string): { load_ms: number; peak_rss_mb: number; parameters: number } {
  const code = `
    const { CausalLM } = await import(${JSON.stringify(new URL('../model/causal-lm.ts', import.meta.url).pathname)});
    const t0 = performance.now();
    const lm = CausalLM.load(${JSON.stringify(dir)});
    const ms = performance.now() - t0;
    console.log(JSON.stringify({ load_ms: ms, peak_rss_mb: process.resourceUsage().maxRSS / 1024, parameters: lm.params.data.length }));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`load probe failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() as string);
}

export async function runBench(args: string[]): Promise<object> {
  const opt = numericArgs(args, { newTokens: 128, promptLen: 16, runs: 3, big: 1 });
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
    result.big_model = { dir, dtype_on_disk: 'BF16', ...measureLoad(dir) };
  }
  return result;
}
