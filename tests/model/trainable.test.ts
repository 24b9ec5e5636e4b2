import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseModelConfig } from '../../src/model/config.ts';
import { initParameters } from '../../src/model/init.ts';
import { Tokenizer } from '../../src/model/tokenizer.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { type LossFn, Trainable } from '../../src/model/trainable.ts';
import * as T from '../../src/tensor/index.ts';
import { fixtureModelDir } from '../helpers/model-dir.ts';

/** Mean negative log-likelihood of the completion tokens. */
const nll: LossFn = {
  key: 'nll',
  build: ({ logprobs, completionMask }) => {
    const tokens = T.reduceSum(completionMask);
    return { loss: T.div(T.neg(T.reduceSum(T.mul(logprobs, completionMask))), tokens), metrics: { tokens } };
  },
};

const batch = { promptIds: [[3, 4, 5], [9, 2]], completionIds: [[6, 7, 8, 9], [10, 11, 12]] };

test('training on a fixed batch lowers its loss; frozen parameters stay put', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const frozenBefore = lm.params.view('model.embed_tokens.weight').slice();
  const trainer = new Trainable(lm, {
    schedule: { kind: 'constant', lr: 3e-3 },
    optimizer: { weightDecay: 0 },
    frozen: (n) => n === 'model.embed_tokens.weight',
  });
  const first = await trainer.accumulate(batch, nll);
  trainer.applyStep();
  assert.equal(first.metrics.tokens, 7);
  let last = first.loss;
  for (let i = 0; i < 15; i++) {
    last = (await trainer.accumulate(batch, nll)).loss;
    trainer.applyStep();
  }
  assert.ok(last < first.loss * 0.7, `loss ${first.loss} → ${last}`);
  assert.deepEqual(lm.params.view('model.embed_tokens.weight'), frozenBefore);
  assert.equal(trainer.step, 16);
});

test('per-token loss inputs land on the completion tokens: weighting every token by 0 gives a zero gradient', async () => {
  const lm = CausalLM.load(fixtureModelDir('llama-tiny'));
  const weighted: LossFn = {
    key: 'weighted',
    build: ({ logprobs, tokenInput }) => ({ loss: T.neg(T.reduceSum(T.mul(logprobs, tokenInput('w')))) }),
  };
  const trainer = new Trainable(lm, { schedule: { kind: 'constant', lr: 1e-3 } });
  const zero = await trainer.accumulate(batch, weighted, { token: { w: [[0, 0, 0, 0], [0, 0, 0]] } });
  const one = await trainer.accumulate(batch, nll);
  assert.equal(zero.loss, 0);
  const ones = await trainer.accumulate(batch, weighted, { token: { w: [[1, 1, 1, 1], [1, 1, 1]] } });
  assert.ok(Math.abs(ones.loss - 7 * one.loss) < 1e-4 * ones.loss, `${ones.loss} vs 7 × ${one.loss}`);
  await assert.rejects(trainer.accumulate(batch, weighted, { token: { w: [[1, 1], [1, 1, 1]] } }), /sequence 0 needs 4 values, got 2/);
});

test('memory stays flat across many training steps (a leaked gradient per step would add 1.2 MB each)', async () => {
  // a wider model than the fixture, so that any per-step leak of tensors is large enough to see
  const dir = fixtureModelDir('qwen2-tiny');
  const raw = { ...JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), hidden_size: 128, intermediate_size: 256 };
  const config = parseModelConfig(raw, 'wide test config');
  const weights = initParameters(config, 3);
  const params = T.ParamStore.from(new Map([...weights].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }])));
  assert.ok(params.data.length > 300_000, `${params.data.length} parameters`);
  const lm = new CausalLM(config, raw, params, Tokenizer.fromDir(dir), dir);
  const trainer = new Trainable(lm, { schedule: { kind: 'constant', lr: 1e-4 } });
  const stepOnce = async () => {
    await trainer.accumulate(batch, nll);
    trainer.applyStep();
  };
  for (let i = 0; i < 20; i++) await stepOnce();
  global.gc?.();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 100; i++) await stepOnce();
  global.gc?.();
  const grown = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grown < 40, `RSS grew by ${grown.toFixed(1)} MiB over 100 steps`);
});

test('metrics come back on every call, not only when the graph is first traced', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const trainer = new Trainable(lm, { schedule: { kind: 'constant', lr: 1e-4 } });
  const first = await trainer.accumulate(batch, nll);
  const second = await trainer.accumulate(batch, nll);
  assert.equal(first.metrics.tokens, 7);
  assert.equal(second.metrics.tokens, 7);
});

test('gradients written in place: two half-weight micro-batches update exactly as one full one, frozen parameters included', async () => {
  const frozen = (n: string) => n === 'model.norm.weight';
  const once = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const twice = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const a = new Trainable(once, { schedule: { kind: 'constant', lr: 1e-2 }, frozen });
  const b = new Trainable(twice, { schedule: { kind: 'constant', lr: 1e-2 }, frozen });
  for (let step = 0; step < 2; step++) {
    await a.accumulate(batch, nll);
    const na = a.applyStep().gradNorm;
    // 0.5·g + 0.5·g = g exactly in float32: the second micro-batch goes through the landing buffer
    await b.accumulate(batch, nll, {}, 0.5);
    await b.accumulate(batch, nll, {}, 0.5);
    const nb = b.applyStep().gradNorm;
    assert.equal(nb, na, `step ${step} gradient norm`);
  }
  assert.ok(
    once.params.data.every((x, i) => Object.is(x, twice.params.data[i])),
    'parameters differ',
  );
  assert.deepEqual(once.params.view('model.norm.weight'), CausalLM.load(fixtureModelDir('qwen2-tiny')).params.view('model.norm.weight'));
});
