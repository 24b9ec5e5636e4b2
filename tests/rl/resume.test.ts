/**
 * Exact resume: N steps straight and N/2 + resume + N/2 give bit-identical weights and optimizer
 * state; a process killed in the middle of a checkpoint save leaves the previous checkpoint
 * usable, and resuming from it still ends bit-identical.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { writeCharModelDir } from '../../src/model/init.ts';
import { parseTrainConfig } from '../../src/rl/config.ts';
import { runGrpo } from '../../src/rl/grpo.ts';
import { TrainingSession } from '../../src/rl/session.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rlvr-resume-'));
const model = join(work, 'model');
writeCharModelDir(model, { seed: 5, config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1 } });

const rawConfig = (steps: number) => ({
  model,
  seed: 3,
  data: { train: { generator: 'arithmetic', n: 40, seed: 1 }, val_size: 4 },
  rewards: [{ name: 'accuracy', config: { extractors: 'gsm8k' } }, { name: 'random', weight: 0.5, config: { gamma: 0.5 } }],
  rollout: { n: 4, max_new_tokens: 6 },
  algorithm: { ppo_epochs: 2, mini_batch_prompts: 2, kl_coef: 0.05, clip_ratio_high: 0.28 },
  train: { steps, batch_size: 4, micro_batch_size: 5 },
  optim: { lr: 0.01, schedule: 'cosine', warmup_steps: 1 },
  checkpoint: { every: 2 },
});

async function train(out: string, untilStep: number, resume: boolean): Promise<void> {
  const session = await TrainingSession.open(parseTrainConfig(rawConfig(4), 'test'), { out, resume, inProcessVerify: true });
  try {
    await runGrpo(session, { quiet: true, untilStep });
  } finally {
    await session.close();
  }
}

const weights = (run: string, step: number) => readFileSync(join(run, 'checkpoints', `step-${step}`, 'model.safetensors'));
const moments = (run: string, step: number) => readFileSync(join(run, 'checkpoints', `step-${step}`, 'optimizer.safetensors'));

test('N steps straight and N/2 + resume + N/2 give bit-identical weights, optimizer state and logs', async () => {
  const straight = join(work, 'straight');
  await train(straight, 4, false);
  const split = join(work, 'split');
  await train(split, 2, false);
  await train(split, 4, true);
  assert.ok(weights(straight, 4).equals(weights(split, 4)), 'weights differ');
  assert.ok(moments(straight, 4).equals(moments(split, 4)), 'optimizer state differs');
  const metrics = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ step, reward_mean, grad_norm, kl }) => ({ step, reward_mean, grad_norm, kl }));
  assert.deepEqual(strip(metrics(split)), strip(metrics(straight)));
  assert.deepEqual(metrics(split).map((r) => r.step), [1, 2, 3, 4]);
  const files = readdirSync(join(straight, 'checkpoints', 'step-4'));
  assert.ok(files.includes('tokenizer.json') && files.includes('config.json'));
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'a checkpoint holds no temporary files');
});

test('a crash in the middle of a checkpoint save leaves the previous checkpoint usable', async (t) => {
  const reference = join(work, 'straight');
  let landedMidSave = false;
  for (let attempt = 0; attempt < 4 && !landedMidSave; attempt++) {
    const run = join(work, `crash-${attempt}`);
    const cfgFile = join(work, `crash-${attempt}.yaml`);
    writeFileSync(cfgFile, YAML.stringify(rawConfig(4)));
    const child = spawn('node', [rlvr, 'train', '--config', cfgFile, '--out', run], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    // kill the moment the step-4 save starts: its temporary directory appears
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (!existsSync(join(run, 'checkpoints'))) return;
        clearInterval(poll);
        const watcher = watch(join(run, 'checkpoints'), (_event, name) => {
          if (name?.startsWith('.tmp-step-4')) {
            child.kill('SIGKILL');
            watcher.close();
            resolve();
          }
        });
        child.on('exit', () => {
          watcher.close();
          resolve();
        });
      }, 2);
    });
    await exited;
    const entries = readdirSync(join(run, 'checkpoints'));
    landedMidSave = entries.some((e) => e.startsWith('.tmp-step-4')) && !entries.includes('step-4');
    t.diagnostic(`attempt ${attempt}: checkpoints after kill: ${entries.join(', ')}`);
    if (!landedMidSave) continue;
    assert.ok(entries.includes('step-2'));
    await train(run, 4, true); // resumes from step-2; the partial save is discarded
    assert.ok(weights(run, 4).equals(weights(reference, 4)), 'resumed weights differ from the straight run');
    assert.ok(!readdirSync(join(run, 'checkpoints')).some((e) => e.startsWith('.tmp-')));
  }
  assert.ok(landedMidSave, 'no attempt killed the process during a save');
});
