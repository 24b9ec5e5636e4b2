import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultSampling } from '../../src/backends/policy.ts';
import { CausalLM, runWithHooks } from '../../src/model/causal-lm.ts';
import { tokenSelfCertainty } from '../../src/rewards/index.ts';
import { generateIds } from '../../src/model/generate.ts';
import { scoreIds } from '../../src/model/score.ts';
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

test('KV-cache decoding and a full forward pass agree: generated logprobs equal the scored logprobs of the same text', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const prompts = [[5, 9, 3], [7, 1, 4, 4, 12, 30, 2]];
  const completions = await generateIds(lm, prompts, { ...defaultSampling, maxNewTokens: 20, temperature: 1, n: 2, seed: 7 });
  const scored = await scoreIds(
    lm,
    completions.map((c) => ({ promptIds: prompts[c.promptIndex], completionIds: c.tokenIds })),
    { entropies: true },
  );
  const plain = await scoreIds(
    lm,
    completions.map((c) => ({ promptIds: prompts[c.promptIndex], completionIds: c.tokenIds })),
  );
  assert.equal(plain.entropies, null, 'entropies only when asked');
  assert.deepEqual(plain.logprobs, scored.logprobs);
  completions.forEach((c, i) => {
    assert.equal(scored.logprobs[i].length, c.tokenIds.length);
    c.logprobs!.forEach((lp, k) => assert.ok(Math.abs(lp - scored.logprobs[i][k]) < 1e-4, `completion ${i} token ${k}: ${lp} vs ${scored.logprobs[i][k]}`));
    scored.entropies![i].forEach((h) => assert.ok(h >= 0 && h <= Math.log(64) + 1e-5));
  });
});

test('sampling is reproducible per (seed, prompt, sample) and independent of batch composition', async () => {
  const lm = CausalLM.load(fixtureModelDir('llama-tiny'));
  const p = { ...defaultSampling, maxNewTokens: 12, temperature: 1, topP: 0.9, n: 3, seed: 11 };
  const a = await generateIds(lm, [[3, 4], [8, 8, 8, 1]], p);
  const b = await generateIds(lm, [[3, 4], [8, 8, 8, 1]], p);
  const alone = await generateIds(lm, [[8, 8, 8, 1]], p);
  assert.deepEqual(a.map((c) => c.tokenIds), b.map((c) => c.tokenIds));
  // prompt 1 alone gets prompt index 0, hence other streams; same prompt index → same tokens
  const again = await generateIds(lm, [[3, 4]], p);
  assert.deepEqual(again.map((c) => c.tokenIds), a.slice(0, 3).map((c) => c.tokenIds));
  assert.equal(alone.length, 3);
  assert.notDeepEqual(a[0].tokenIds, a[1].tokenIds);
});

test('scored self-certainty equals logsumexp(z) − mean(z) − log|V| of the full logits rows', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const prompt = [5, 9, 3];
  const completion = [7, 1, 4, 4];
  const scored = await scoreIds(lm, [{ promptIds: prompt, completionIds: completion }], { selfCertainty: true });
  const { logits } = await runWithHooks(lm, [[...prompt, ...completion]], {});
  const v = lm.config.vocabSize;
  completion.forEach((_, k) => {
    const row = logits.subarray((prompt.length - 1 + k) * v, (prompt.length + k) * v);
    assert.ok(Math.abs(scored.selfCertainty![0][k] - tokenSelfCertainty(row)) < 1e-4, `token ${k}`);
  });
});
