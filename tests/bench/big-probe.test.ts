import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigProbe } from '../../src/bench/big-probe.ts';
import { fixtureModelDir } from '../helpers/model-dir.ts';

test('the big-model probe runs end to end on a tiny model: decode-step rates, the bandwidth read around the decoding, training steps with their RSS', async () => {
  const out = await bigProbe({ dir: fixtureModelDir('qwen2-tiny'), promptLen: 8, newTokens: 6, genBatches: [1, 2], scoreRows: 2, scoreLen: 48, trainSteps: 2, trainRows: 2, trainLen: 48 });
  for (const b of [1, 2]) {
    const rate = out[`decode_steps_b${b}_tokens_per_s`];
    assert.ok(typeof rate === 'number' && Number.isFinite(rate) && rate > 0, `decode steps b${b}: ${rate}`);
  }
  const readings = out.read_bandwidth_gb_per_s_readings as number[];
  assert.equal(readings.length, 2);
  assert.ok(readings.every((r) => Number.isFinite(r) && r > 0));
  assert.equal(out.read_bandwidth_gb_per_s, Math.max(...readings));
  const steps = out.train_steps as Array<{ loss: number; optimizer_s: number; peak_rss_gb: number }>;
  assert.equal(steps.length, 2);
  assert.ok(steps.every((s) => Number.isFinite(s.loss) && s.optimizer_s >= 0 && s.peak_rss_gb > 0));
  assert.ok(steps[1].loss < steps[0].loss, `the NLL falls over a step on the same batch: ${steps[0].loss} → ${steps[1].loss}`);
});
