/**
 * The clipping-bias experiment of the Spurious Rewards paper (arXiv 2506.10947, App. B; DESIGN §5):
 * under a random reward (γ = 0.5, independent of the response) the expected advantage is zero, yet
 * with ratio clipping and several updates per rollout batch the update is biased toward tokens the
 * policy already prefers, so entropy should fall. With clipping off, or one update per batch (the
 * ratio is then exactly 1 and never clipped), there is no such bias.
 *
 * A small model is first trained briefly by SFT (so it has a non-trivial distribution), then three
 * GRPO runs with the same seed and budget differ only in clipping / updates per batch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeCharModelDir } from '../../src/model/init.ts';
import { parseTrainConfig } from '../../src/rl/config.ts';
import { runGrpo } from '../../src/rl/grpo.ts';
import { TrainingSession } from '../../src/rl/session.ts';
import { runSft } from '../../src/rl/sft.ts';

const work = mkdtempSync(join(tmpdir(), 'rlvr-clipbias-'));
const STEPS = 14;

async function run(raw: Record<string, unknown>, out: string, kind: 'sft' | 'grpo'): Promise<Array<Record<string, number>>> {
  const session = await TrainingSession.open(parseTrainConfig(raw, out), { out, resume: false, inProcessVerify: true });
  try {
    await (kind === 'sft' ? runSft(session, { quiet: true }) : runGrpo(session, { quiet: true }));
  } finally {
    await session.close();
  }
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

test('random reward: entropy under clipping with several updates per batch vs clipping off vs one update', async (t) => {
  const init = join(work, 'init');
  writeCharModelDir(init, { seed: 7, config: { hidden_size: 48, intermediate_size: 128, num_hidden_layers: 2 } });
  const data = { train: { generator: 'arithmetic', n: 2000, seed: 3 }, template: 'none', extractors: 'gsm8k' };
  await run({ kind: 'sft', model: init, seed: 1, data, train: { steps: 40, batch_size: 32 }, optim: { lr: 0.003, schedule: 'constant' } }, join(work, 'sft'), 'sft');
  const start = join(work, 'sft', 'checkpoints', 'step-40');
  const grpo = (algorithm: Record<string, unknown>) => ({
    kind: 'grpo',
    model: start,
    seed: 5,
    data,
    rewards: [{ name: 'random', config: { gamma: 0.5, seed: 1 } }],
    rollout: { n: 8, temperature: 1, max_new_tokens: 12 },
    algorithm: { loss_agg_mode: 'token-mean', ...algorithm },
    train: { steps: STEPS, batch_size: 8, micro_batch_size: 64 },
    optim: { lr: 0.003, max_grad_norm: 1 },
  });
  const variants = {
    'clip on, 4 epochs × 4 mini-batches': { clip: true, ppo_epochs: 4, mini_batch_prompts: 2 },
    'clip off, 4 epochs × 4 mini-batches': { clip: false, ppo_epochs: 4, mini_batch_prompts: 2 },
    'clip on, 1 update per batch': { clip: true, ppo_epochs: 1 },
  };
  const change: Record<string, number> = {};
  for (const [name, algorithm] of Object.entries(variants)) {
    const rows = await run(grpo(algorithm), join(work, name.replace(/\W+/g, '-')), 'grpo');
    const entropy = rows.map((r) => r.entropy);
    const head = entropy.slice(0, 3).reduce((a, b) => a + b) / 3;
    const tail = entropy.slice(-3).reduce((a, b) => a + b) / 3;
    change[name] = tail - head;
    const clipped = rows.reduce((s, r) => s + r.clip_frac_low + r.clip_frac_high, 0) / rows.length;
    t.diagnostic(`${name}: entropy ${entropy.map((e) => e.toFixed(3)).join(' ')} | first-3 mean ${head.toFixed(4)} → last-3 mean ${tail.toFixed(4)} (change ${(tail - head).toFixed(4)}), mean clip fraction ${clipped.toFixed(4)}`);
  }
  const [clipMulti, noClip, single] = Object.values(change);
  assert.ok(Number.isFinite(clipMulti) && Number.isFinite(noClip) && Number.isFinite(single));
  t.diagnostic(`entropy change: clip+multi ${clipMulti.toFixed(4)}, no-clip ${noClip.toFixed(4)}, single update ${single.toFixed(4)}`);
});
