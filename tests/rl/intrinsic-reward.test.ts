import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeCharModelDir } from '../../src/model/init.ts';
import { parseTrainConfig } from '../../src/rl/config.ts';
import { runGrpo } from '../../src/rl/grpo.ts';
import { TrainingSession } from '../../src/rl/session.ts';

test('GRPO with the self-certainty reward (INTUITOR) gets per-token certainty from the policy', async () => {
  const work = mkdtempSync(join(tmpdir(), 'rlvr-intuitor-'));
  const model = join(work, 'model');
  writeCharModelDir(model, { seed: 2, config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, initializer_range: 0.2 } });
  const cfg = parseTrainConfig(
    {
      model,
      data: { train: { generator: 'arithmetic', n: 20 } },
      rewards: [{ name: 'self_certainty' }],
      rollout: { n: 4, max_new_tokens: 6 },
      train: { steps: 2, batch_size: 2 },
      optim: { lr: 0.001 },
    },
    'intuitor',
  );
  const session = await TrainingSession.open(cfg, { out: join(work, 'run'), resume: false, inProcessVerify: true });
  try {
    await runGrpo(session, { quiet: true });
  } finally {
    await session.close();
  }
  const rows = readFileSync(join(work, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const r of rows) {
    // KL(U ‖ p) is ≥ 0 and at most log|V| (here 101 character tokens + padding ids)
    assert.ok(r['reward/self_certainty'] > 0 && r['reward/self_certainty'] < Math.log(128), `step ${r.step}: ${r['reward/self_certainty']}`);
    assert.ok(r.reward_std > 0, 'self-certainty differs between responses');
  }
});
