/**
 * `rlvr bench train`: one GRPO step of the real trainer (src/rl/grpo.ts) on the standard tiny
 * model — 4 prompts of 16 tokens × a group of 8, 128 sampled tokens each (EOS ignored, as in the
 * PyTorch loop), a random reward, one clipped update with AdamW — split into generate / score /
 * update, the trainer's overhead outside model compute (ONNX Runtime runs and the optimizer),
 * and the same step in the PyTorch reference in the same run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrainConfig } from '../rl/config.ts';
import { runGrpo } from '../rl/grpo.ts';
import { TrainingSession } from '../rl/session.ts';
import { defaultThreads, engineRunMs } from '../tensor/index.ts';
import { STANDARD_TINY } from './engine.ts';
import { BENCH_DIR, benchModelDir } from './model.ts';
import { benchMedian, numericArgs } from './timing.ts';
import { torchReference } from './torch-reference.ts';

export async function runBench(args: string[]): Promise<object> {
  const opt = numericArgs(args, { runs: 3, prompts: 4, group: 8, newTokens: 128 });
  const model = benchModelDir('standard-tiny', { ...STANDARD_TINY, max_position_embeddings: 2048 }, 'F32');
  const data = join(BENCH_DIR, 'grpo-prompts.jsonl');
  // 16-character problems: one token each under the character tokenizer, like the reference's 16-token prompts
  writeFileSync(data, Array.from({ length: 64 }, (_, i) => JSON.stringify({ problem: `Add ${String(i).padStart(3, '0')} and 7 now.`.slice(0, 16), answer: String(i + 7) })).join('\n') + '\n');
  const out = join(BENCH_DIR, 'grpo-run');
  rmSync(out, { recursive: true, force: true });
  const cfg = parseTrainConfig(
    {
      model,
      data: { train: { path: data } },
      rewards: [{ name: 'random', config: { gamma: 0.5 } }],
      rollout: { n: opt.group, temperature: 1, max_new_tokens: opt.newTokens, ignore_eos: true, batch: opt.prompts * opt.group },
      algorithm: { loss_agg_mode: 'token-mean' },
      train: { steps: 1 + opt.runs, batch_size: opt.prompts, micro_batch_size: opt.prompts * opt.group },
      optim: { lr: 1e-5 },
      logging: { samples_share: 0 },
    },
    'bench train',
  );
  const session = await TrainingSession.open(cfg, { out, resume: false, inProcessVerify: true });
  let measured: { engine: number; optimizer: number };
  try {
    await runGrpo(session, { quiet: true, untilStep: 1 }); // compiles every graph
    const engine0 = engineRunMs();
    const optimizer0 = session.trainable.optimizerMs;
    await runGrpo(session, { quiet: true });
    measured = { engine: engineRunMs() - engine0, optimizer: session.trainable.optimizerMs - optimizer0 };
  } finally {
    await session.close();
  }
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).slice(1);
  const ms = (key: string) => benchMedian(rows.map((r) => r[key] * 1000));
  const stepMs = rows.map((r) => (r.time_generate_s + r.time_score_s + r.time_update_s) * 1000);
  const totalMs = stepMs.reduce((a, b) => a + b, 0);
  const overhead = totalMs - measured.engine - measured.optimizer;
  const torch = torchReference('train', ['--threads', String(defaultThreads()), '--prompts', String(opt.prompts), '--group', String(opt.group), '--new-tokens', String(opt.newTokens), '--runs', String(opt.runs)]);
  const torchStep = (torch.result?.torch_grpo_step_ms as number | undefined) ?? null;
  return {
    suite: 'train',
    threads: defaultThreads(),
    prompts: opt.prompts,
    group: opt.group,
    new_tokens: opt.newTokens,
    grpo_step_ms: benchMedian(stepMs),
    generate_ms: ms('time_generate_s'),
    score_ms: ms('time_score_s'),
    update_ms: ms('time_update_s'),
    engine_ms_per_step: measured.engine / rows.length,
    optimizer_ms_per_step: measured.optimizer / rows.length,
    trainer_overhead_fraction: overhead / totalMs,
    torch_grpo_step_ms: torchStep,
    torch_generate_ms: torch.result?.torch_generate_ms ?? null,
    torch_update_ms: torch.result?.torch_update_ms ?? null,
    speedup: torchStep === null ? null : torchStep / benchMedian(stepMs),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    torch_note: torch.note,
  };
}
