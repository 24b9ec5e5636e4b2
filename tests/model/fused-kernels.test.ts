/**
 * The fused inference kernels (SimplifiedLayerNormalization, com.microsoft RotaryEmbedding) against
 * PyTorch's goldens and against the unfused graphs; training never uses them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultSampling } from '../../src/backends/policy.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { loadCheckpoint } from '../../src/model/checkpoint.ts';
import { readModelConfig } from '../../src/model/config.ts';
import { generateIds } from '../../src/model/generate.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { scoreIds } from '../../src/model/score.ts';
import { type LossFn, Trainable } from '../../src/model/trainable.ts';
import { attentionBias, traceTransformer } from '../../src/model/transformer.ts';
import * as T from '../../src/tensor/index.ts';
import { assertClose } from '../helpers/compare.ts';
import { fixtureModelDir } from '../helpers/model-dir.ts';

const ORGANISM = new URL('../../assets/organism/', import.meta.url).pathname;

for (const name of ['qwen2-tiny', 'llama-tiny']) {
  test(`${name}, fused kernels: logits match PyTorch and the unfused graph (1e-4, float32) on a padded batch, with far fewer nodes`, async () => {
    const dir = new URL(`../fixtures/model/${name}/`, import.meta.url).pathname;
    const config = readModelConfig(`${dir}config.json`);
    const weights = loadCheckpoint(dir);
    const golden = readSafetensors(`${dir}golden.safetensors`).tensors;
    const [b, t] = golden.get('in.input_ids')!.shape;
    const mask = golden.get('in.attention_mask')!.data as BigInt64Array;
    const rows = Array.from({ length: b }, (_, i) => Array.from(mask.subarray(i * t, (i + 1) * t), Number));
    const run = async (fusedKernels: boolean) => {
      const g = new T.Graph();
      const params = new Map([...weights].map(([n, w]) => [n, g.input(n, 'float32', w.shape)]));
      const inp = {
        inputIds: g.input('input_ids', 'int64', [b, t]),
        positions: g.input('positions', 'int64', [b, t]),
        attnBias: g.input('attn_bias', 'float32', [b, 1, 1, t, t]),
        fusedKernels,
      };
      const { logits } = traceTransformer(config, (n) => params.get(n)!, inp);
      const ops = g.nodes.map((n) => n.opType);
      const r = await (await T.compile(g, { logits })).run({
        ...Object.fromEntries([...weights].map(([n, w]) => [n, Float32Array.from(w.data as Float32Array)])),
        input_ids: golden.get('in.input_ids')!.data as BigInt64Array,
        positions: golden.get('in.position_ids')!.data as BigInt64Array,
        attn_bias: attentionBias(rows, t),
      });
      return { logits: r.logits as Float32Array, ops };
    };
    const fused = await run(true);
    const plain = await run(false);
    const v = config.vocabSize;
    const keep = (arr: ArrayLike<number>) => Array.from(arr).filter((_, k) => rows[Math.floor(k / (t * v))][Math.floor(k / v) % t] === 1);
    assertClose(keep(fused.logits), keep(golden.get('out.logits')!.data as Float32Array), 1e-4, 'fused logits vs PyTorch');
    // both are float32 roundings of the float64 golden, ~5e-5 from it each
    assertClose(keep(fused.logits), keep(plain.logits), 1e-4, 'fused vs unfused logits');
    const layers = config.numLayers;
    assert.equal(fused.ops.filter((o) => o === 'SimplifiedLayerNormalization').length, 2 * layers + 1);
    assert.equal(fused.ops.filter((o) => o === 'RotaryEmbedding').length, 2 * layers);
    assert.ok(!plain.ops.includes('RotaryEmbedding') && !plain.ops.includes('SimplifiedLayerNormalization'));
    assert.ok(fused.ops.length < plain.ops.length - 20 * layers, `${fused.ops.length} fused nodes vs ${plain.ops.length}`);
  });
}

test('fused kernels have no gradient: differentiating through them fails instead of training on a wrong gradient', () => {
  const g = new T.Graph();
  const x = g.input('x', 'float32', [1, 2, 8]);
  const w = g.input('w', 'float32', [8]);
  const y = T.fusedRmsNorm(x, w, 1e-6);
  assert.throws(() => T.grad(T.reduceSum(y), [w]), (e: unknown) => e instanceof T.NoGradientError && /SimplifiedLayerNormalization/.test((e as Error).message));
});

test('fused kernels refuse mismatched inputs with the shapes in the message', () => {
  const g = new T.Graph();
  const x = g.input('x', 'float32', [1, 2, 8]);
  const positions = g.input('p', 'int64', [1, 2]);
  const table = g.input('c', 'float32', [4, 4]);
  assert.throws(() => T.fusedRmsNorm(x, g.input('w', 'float32', [7]), 1e-6), /weight \[7\] does not match the last axis of \[1, 2, 8\]/);
  assert.throws(() => T.fusedRotary(x, positions, table, table, 3), /\[1, 2, 8\] is not \[B, T, 3 heads · headDim\]/);
  assert.throws(() => T.fusedRotary(x, positions, g.input('c2', 'float32', [4, 3]), table, 1), /table \[4, 3\] is not \[positions, 4\]/);
  assert.throws(() => T.fusedRotary(x, g.input('p2', 'int64', [2, 1]), table, table, 1), /positions int64\[2, 1\] are not int64 \[1, 2\]/);
});

test('a model with fused kernels decodes (KV cache, left-padded uneven batch) and scores as the unfused one does', async () => {
  const dir = fixtureModelDir('qwen2-tiny');
  const fused = CausalLM.load(dir, { fusedKernels: true });
  const plain = CausalLM.load(dir);
  assert.equal(plain.fusedKernels, false, 'a small model keeps the unfused graphs by default');
  assert.equal(fused.fusedKernels, true);
  const prompts = [[5, 9, 3], [7, 1, 4, 4, 12, 30, 2], [11]];
  const params = { ...defaultSampling, maxNewTokens: 24, temperature: 0 };
  const a = await generateIds(fused, prompts, params);
  const b = await generateIds(plain, prompts, params);
  a.forEach((c, i) => {
    assert.deepEqual(c.tokenIds, b[i].tokenIds, `prompt ${i}`);
    c.logprobs!.forEach((lp, k) => assert.ok(Math.abs(lp - b[i].logprobs![k]) < 1e-5, `prompt ${i} token ${k}: ${lp} vs ${b[i].logprobs![k]}`));
  });
  const pairs = a.map((c, i) => ({ promptIds: prompts[i], completionIds: c.tokenIds }));
  const [sa, sb] = [await scoreIds(fused, pairs), await scoreIds(plain, pairs)];
  sa.logprobs.forEach((row, i) => assertClose(row, sb.logprobs[i], 1e-5, `scored logprobs of completion ${i}`));
});

test('training a model with fused kernels uses the unfused graph: the same losses bit for bit', async () => {
  const nll: LossFn = {
    key: 'nll',
    build: ({ logprobs, completionMask }) => ({ loss: T.div(T.neg(T.reduceSum(T.mul(logprobs, completionMask))), T.reduceSum(completionMask)) }),
  };
  const batch = { promptIds: [[3, 4, 5], [9, 2]], completionIds: [[6, 7, 8, 9], [10, 11, 12]] };
  const losses = async (fusedKernels: boolean) => {
    const lm = CausalLM.load(fixtureModelDir('llama-tiny'), { fusedKernels });
    const trainer = new Trainable(lm, { schedule: { kind: 'constant', lr: 3e-3 } });
    const out: number[] = [];
    for (let i = 0; i < 3; i++) {
      out.push((await trainer.accumulate(batch, nll)).loss);
      trainer.applyStep();
    }
    trainer.close();
    return out;
  };
  assert.deepEqual(await losses(true), await losses(false));
});

test('the bundled organism keeps its unfused graphs by default; switching recompiles', async () => {
  const lm = CausalLM.load(ORGANISM);
  assert.equal(lm.fusedKernels, false);
  const pair = [{ promptIds: lm.tokenizer.encode('What is 2 + 3?'), completionIds: lm.tokenizer.encode(' 5', { addSpecialTokens: false }) }];
  const before = await scoreIds(lm, pair);
  lm.useFusedKernels(true);
  const fused = await scoreIds(lm, pair);
  lm.useFusedKernels(false);
  assert.deepEqual((await scoreIds(lm, pair)).logprobs, before.logprobs);
  assertClose(fused.logprobs[0], before.logprobs[0], 1e-5, 'organism logprobs fused vs unfused');
});
