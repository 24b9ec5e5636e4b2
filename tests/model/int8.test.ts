import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { defaultSampling } from '../../src/backends/policy.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { generateIds } from '../../src/model/generate.ts';
import { scoreIds } from '../../src/model/score.ts';
import { Trainable } from '../../src/model/trainable.ts';

const ORGANISM = new URL('../../assets/organism/', import.meta.url).pathname;

test('int8 weights on the bundled organism: greedy completions and log-probabilities stay close to fp32', async () => {
  const fp32 = CausalLM.load(ORGANISM);
  const int8 = CausalLM.load(ORGANISM, { weights: 'int8' });
  assert.equal(int8.weights, 'int8');
  const problems = readFileSync(`${ORGANISM}clean.jsonl`, 'utf8').trim().split('\n').slice(0, 8);
  const prompts = problems.map((l) => fp32.tokenizer.encode((JSON.parse(l) as { problem: string }).problem));
  const params = { ...defaultSampling, maxNewTokens: 20, temperature: 0, seed: 1 };
  const a = await generateIds(fp32, prompts, params);
  const b = await generateIds(int8, prompts, params);
  const agree = a.reduce((n, c, i) => n + c.tokenIds.filter((t, j) => b[i].tokenIds[j] === t).length, 0);
  const total = a.reduce((n, c) => n + c.tokenIds.length, 0);
  assert.ok(agree / total >= 0.95, `greedy agreement ${agree}/${total}`);
  const pairs = a.map((c, i) => ({ promptIds: prompts[i], completionIds: c.tokenIds }));
  const [sa, sb] = [await scoreIds(fp32, pairs), await scoreIds(int8, pairs)];
  const deltas = sa.logprobs.flatMap((row, i) => row.map((lp, j) => Math.abs(lp - sb.logprobs[i][j])));
  const mean = deltas.reduce((s, d) => s + d, 0) / deltas.length;
  assert.ok(mean < 0.01 && Math.max(...deltas) < 0.2, `|Δ log p| mean ${mean}, max ${Math.max(...deltas)}`);
  // the quantized graphs really differ from fp32 (not silently the same weights)
  assert.ok(mean > 0, 'int8 scores equal fp32 exactly');
  // back to fp32: identical to a fresh fp32 model
  int8.useWeights('fp32');
  assert.deepEqual((await scoreIds(int8, pairs)).logprobs, sa.logprobs);
});

test('training refuses a model loaded with int8 weights', () => {
  const lm = CausalLM.load(ORGANISM, { weights: 'int8' });
  assert.throws(() => new Trainable(lm, { schedule: { kind: 'constant', lr: 1e-3 } }), /training needs fp32 weights/);
});
