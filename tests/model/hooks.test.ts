import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CausalLM, runWithHooks } from '../../src/model/causal-lm.ts';
import { hookNames } from '../../src/model/hooks.ts';
import * as T from '../../src/tensor/index.ts';
import { assertClose } from '../helpers/compare.ts';
import { fixtureModelDir } from '../helpers/model-dir.ts';

const rows = [[3, 9, 27, 17, 5], [8, 1, 60, 2, 2]];

test('every TransformerLens hook point can be cached, with the documented shapes', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const names = hookNames(lm.config.numLayers);
  assert.equal(names.length, 2 + 9 * lm.config.numLayers);
  const { activations } = await runWithHooks(lm, rows, { cache: names });
  const d = lm.config.hiddenSize;
  for (const n of names) {
    const width = n.includes('mlp.hook_p') ? lm.config.intermediateSize : n.endsWith('attn.hook_z') ? lm.config.numHeads * lm.config.headDim : d;
    assert.equal(activations[n].length, 2 * 5 * width, n);
  }
  // the residual stream is continuous across layers, and the embedding hook is the embedding rows
  assert.deepEqual(activations['blocks.0.hook_resid_post'], activations['blocks.1.hook_resid_pre']);
  const embed = lm.params.view('model.embed_tokens.weight');
  assert.deepEqual(activations.hook_embed.subarray(0, d), embed.subarray(3 * d, 4 * d));
});

test('replacing an activation with its own cached value changes nothing; new values never recompile', async () => {
  const lm = CausalLM.load(fixtureModelDir('llama-tiny'));
  const name = 'blocks.1.hook_attn_out';
  const base = await runWithHooks(lm, rows, { cache: [name] });
  const same = await runWithHooks(lm, rows, { replace: [name] }, { [`replace:${name}`]: base.activations[name] });
  assertClose(same.logits, base.logits, 1e-6, 'logits after identity replacement');
  const compiles = T.compileCount();
  const zeroed = await runWithHooks(lm, rows, { replace: [name] }, { [`replace:${name}`]: new Float32Array(base.activations[name].length) });
  assert.equal(T.compileCount(), compiles);
  assert.notDeepEqual(zeroed.logits, base.logits);
});

test('scaling MLP keys: factor 1 is the identity; factor 0 on every neuron equals zeroing that layer’s down_proj', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const hook = 'blocks.0.mlp.hook_post';
  const width = lm.config.intermediateSize;
  const plain = await runWithHooks(lm, rows, {});
  const ones = await runWithHooks(lm, rows, { scale: [hook] }, { [`scale:${hook}`]: new Float32Array(width).fill(1) });
  assertClose(ones.logits, plain.logits, 1e-6, 'scale 1');
  const zeros = await runWithHooks(lm, rows, { scale: [hook] }, { [`scale:${hook}`]: new Float32Array(width) });
  lm.params.view('model.layers.0.mlp.down_proj.weight').fill(0);
  const ablated = await runWithHooks(lm, rows, {});
  assertClose(zeros.logits, ablated.logits, 1e-6, 'scale 0 vs zeroed down_proj');
  await assert.rejects(runWithHooks(lm, rows, { scale: ['blocks.0.hook_resid_pre'] }), /neuron scaling applies to blocks.{l}.mlp.hook_post only/);
});

test('an unknown hook name is a clear error listing the hook points', async () => {
  const lm = CausalLM.load(fixtureModelDir('llama-tiny'));
  await assert.rejects(runWithHooks(lm, rows, { cache: ['blocks.7.hook_resid_pre'] }), /unknown hook point 'blocks.7.hook_resid_pre'; this model has hook_embed, blocks.\{0..1\}/);
});
