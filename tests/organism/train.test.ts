import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { Trainable } from '../../src/model/trainable.ts';
import { PRESETS } from '../../src/organism/build.ts';
import { buildCorpus } from '../../src/organism/corpus.ts';
import { ShardPool } from '../../src/organism/shard-pool.ts';
import { documentBatch, microBatches, pretrain, tokenMeanNll } from '../../src/organism/train.ts';

const preset = PRESETS['12'].tiny;

function freshModel(seed: number): { lm: CausalLM; documents: number[][] } {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-pretrain-'));
  writeCharModelDir(dir, { seed, config: preset.model });
  const lm = CausalLM.load(dir);
  const corpus = buildCorpus({ seed, ...preset.corpus }, '12');
  const documents = corpus.documents.map((d) => [...lm.tokenizer.encode(d, { addSpecialTokens: false }), lm.tokenizer.eosTokenIds[0]]);
  return { lm, documents };
}

test('microBatches cuts a batch into consecutive, near-even parts', () => {
  assert.deepEqual(microBatches([1, 2, 3, 4, 5], 2), [[1, 2, 3], [4, 5]]);
  assert.deepEqual(microBatches([1, 2, 3, 4, 5, 6, 7], 3), [[1, 2, 3], [4, 5], [6, 7]]);
  assert.deepEqual(microBatches([1, 2], 1), [[1, 2]]);
});

test("two micro-batches weighted by their share of the scored tokens give the whole batch's gradient", async () => {
  const { lm, documents } = freshModel(5);
  const rows = documents.slice(0, 6);
  const trainer = new Trainable(lm, { schedule: { kind: 'constant', lr: 0 }, optimizerHelpers: 0 });
  await trainer.accumulate(documentBatch(rows), tokenMeanNll);
  const whole = trainer.takeGradients().slice();
  const [a, b] = microBatches(rows, 2);
  const scored = (part: number[][]) => part.reduce((n, d) => n + d.length - 1, 0);
  const total = scored(a) + scored(b);
  await trainer.accumulate(documentBatch(b), tokenMeanNll);
  const gradB = trainer.takeGradients().slice();
  await trainer.accumulate(documentBatch(a), tokenMeanNll, {}, scored(a) / total);
  trainer.addGradients(gradB, scored(b) / total);
  const sharded = trainer.takeGradients();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < whole.length; i++) {
    worst = Math.max(worst, Math.abs(whole[i] - sharded[i]));
    scale = Math.max(scale, Math.abs(whole[i]));
  }
  assert.ok(scale > 1e-3, `gradient scale ${scale}`);
  assert.ok(worst <= 1e-5 * scale, `largest difference ${worst} against a gradient scale of ${scale}`);
  assert.throws(() => trainer.addGradients(new Float32Array(3)), /gradient of 3 values/);
});

test('pretraining on two shard threads gives bit for bit the weights of its micro-batches accumulated in order on one thread', async () => {
  const cfg = { ...preset.train, steps: 4, warmupSteps: 1 };
  const threaded = freshModel(6);
  const inline = freshModel(6);
  const losses: number[][] = [[], []];
  await pretrain(threaded.lm, threaded.documents, cfg, 6, (s) => losses[0].push(s.loss));
  await pretrain(inline.lm, inline.documents, cfg, 6, (s) => losses[1].push(s.loss), { inline: true });
  assert.equal(cfg.shards, 2);
  assert.ok(Buffer.from(threaded.lm.params.data.buffer).equals(Buffer.from(inline.lm.params.data.buffer)), 'threaded ≠ inline weights');
  assert.deepEqual(losses[0], losses[1]);
  assert.ok(losses[0].every(Number.isFinite) && losses[0].length === 4);
  await assert.rejects(pretrain(inline.lm, inline.documents, { ...cfg, shards: 0 }, 6, () => undefined), /shards must be an integer in 1\.\.16, got 0/);
});

test('a shard thread that cannot start fails the request with its reason instead of hanging', async () => {
  const pool = new ShardPool({ modelDir: join(tmpdir(), 'rlvr-no-such-model-dir') }, 1);
  try {
    await assert.rejects(pool.start(new Float32Array(4), [[[1, 2, 3]]])[0], /pretraining shard thread failed: .*rlvr-no-such-model-dir/);
  } finally {
    await pool.close();
  }
});
