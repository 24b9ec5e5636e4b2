import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultSampling } from '../../src/backends/policy.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { generateIds } from '../../src/model/generate.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { fixtureModelDir } from '../helpers/model-dir.ts';

for (const name of ['qwen2-tiny', 'llama-tiny']) {
  test(`${name}: greedy generation of 32 tokens matches PyTorch token for token (left-padded uneven batch, KV cache)`, async () => {
    const lm = CausalLM.load(fixtureModelDir(name));
    const golden = readSafetensors(new URL(`../fixtures/model/${name}/golden.safetensors`, import.meta.url).pathname).tensors;
    const ids = golden.get('in.gen_prompt_ids')!;
    const mask = golden.get('in.gen_attention_mask')!.data as BigInt64Array;
    const [b, t] = ids.shape;
    const prompts = Array.from({ length: b }, (_, i) =>
      Array.from((ids.data as BigInt64Array).subarray(i * t, (i + 1) * t), Number).filter((_, j) => mask[i * t + j] === 1n),
    );
    const expected = golden.get('gen.tokens')!.data as BigInt64Array;
    const params = { ...defaultSampling, maxNewTokens: 32, temperature: 0 };
    const batched = await generateIds(lm, prompts, params);
    const alone = await Promise.all(prompts.map(async (p) => (await generateIds(lm, [p], params))[0]));
    for (let i = 0; i < b; i++) {
      const want = Array.from(expected.subarray(i * 32, (i + 1) * 32), Number);
      assert.deepEqual(batched[i].tokenIds, want, `prompt ${i} (length ${prompts[i].length}) in the batch`);
      assert.deepEqual(alone[i].tokenIds, want, `prompt ${i} alone`);
      assert.equal(batched[i].finishReason, 'length');
      assert.equal(batched[i].logprobs!.length, 32);
      assert.ok(batched[i].logprobs!.every((lp) => lp <= 0 && lp > -20));
    }
  });
}
