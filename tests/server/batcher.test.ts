/** Giving up a batched generation: the rest of the batch is untouched; a queued job never runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSampling } from '../../src/backends/policy.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { generateIds } from '../../src/model/generate.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { GenerationBatcher, type RowSampling } from '../../src/server/batcher.ts';

const modelDir = mkdtempSync(join(tmpdir(), 'rlvr-batcher-'));
writeCharModelDir(modelDir, { seed: 5 });
const lm = CausalLM.load(modelDir);
const sampling: RowSampling = {
  maxNewTokens: 60,
  temperature: 0.9,
  topP: 1,
  topK: 0,
  stop: [],
  ignoreEos: true,
};
const row = (text: string, seed: number) => ({
  tokens: lm.tokenizer.encode(text),
  seed,
  promptIndex: 0,
  sampleIndex: 0,
});

test('a job aborted mid-batch is rejected at once; the job it shared the batch with is what it would be alone', async () => {
  const batcher = new GenerationBatcher(lm, { maxBatch: 2, windowMs: 5 });
  const ac = new AbortController();
  const reason = new Error('client left');
  const gone = batcher.submit([row('abandoned', 1)], sampling, ac.signal);
  const kept = batcher.submit([row('kept', 2)], sampling);
  while (batcher.stats.steps < 3) await new Promise((r) => setTimeout(r, 2));
  ac.abort(reason);
  await assert.rejects(gone, (err) => err === reason);
  assert.ok(batcher.stats.steps < sampling.maxNewTokens, 'rejected only when the batch ended');
  const [got] = await kept;
  assert.equal(batcher.stats.batches, 1, 'the two jobs shared one generate call');
  assert.equal(batcher.stats.cancelledRows, 1);
  // the kept row draws what an unbatched generation with its seed draws (ignore_eos: all of max_tokens)
  assert.equal(got.tokenIds.length, sampling.maxNewTokens);
  const alone = await generateIds(
    lm,
    [row('kept', 2).tokens],
    { ...defaultSampling, ...sampling, n: 1, seed: 2 },
    { ignoreEos: true },
  );
  assert.deepEqual(got.tokenIds, alone[0].tokenIds);
});

test('a job aborted while queued leaves the queue and is never generated', async () => {
  const batcher = new GenerationBatcher(lm, { maxBatch: 1, windowMs: 0 });
  const first = batcher.submit([row('first', 1)], { ...sampling, maxNewTokens: 40 });
  const ac = new AbortController();
  const queued = batcher.submit([row('queued', 2)], { ...sampling, maxNewTokens: 40 }, ac.signal);
  ac.abort(new Error('gone'));
  await assert.rejects(queued, /gone/);
  await first;
  assert.deepEqual([batcher.stats.batches, batcher.stats.rows, batcher.stats.cancelledRows], [1, 1, 1]);
  const already = new AbortController();
  already.abort(new Error('before'));
  await assert.rejects(batcher.submit([row('x', 3)], sampling, already.signal), /before/);
  assert.equal(batcher.stats.batches, 1);
});
