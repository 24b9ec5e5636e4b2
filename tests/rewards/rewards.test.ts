import assert from 'node:assert/strict';
import { test } from 'node:test';
import { composeRewards, createReward, inProcessVerify, tokenSelfCertainty } from '../../src/rewards/index.ts';
import type { RewardGroup } from '../../src/rewards/index.ts';
import { UserError } from '../../src/util/errors.ts';

const ctx = { verify: inProcessVerify };
const scores = async (name: string, config: unknown, group: RewardGroup) =>
  (await createReward(name, config, ctx).score(group)).map((r) => r.score);
const group = (responses: string[], extra: Partial<RewardGroup> = {}): RewardGroup => ({ prompt: 'q', responses, ...extra });

test('accuracy: 1 for an equivalent boxed answer, 0 otherwise; unformatted answers earn nothing', async () => {
  const g = group(['so \\boxed{\\dfrac{14}{3}}', 'so \\boxed{14/3}', 'so \\boxed{4.67}', 'it is 14/3', '1331 and \\boxed{1331, 1728}'], { gold: '\\frac{14}{3}' });
  assert.deepEqual(await scores('accuracy', {}, g), [1, 1, 0, 0, 0]);
  assert.deepEqual(await scores('accuracy', { extractors: 'lenient' }, group(['the result: 1728'], { gold: '1728' })), [1]);
});

test('format: R1 think/answer template with a non-empty answer', async () => {
  const g = group([
    '<think>reason</think> <answer>5</answer>',
    '<think>reason</think><answer> </answer>',
    'preamble <think>r</think><answer>5</answer>',
    '<think>r</think>5',
    '<answer>5</answer>',
  ]);
  assert.deepEqual(await scores('format', {}, g), [1, 0, 0, 0, 0]);
});

test('boxed_format: a non-empty \\boxed{} anywhere', async () => {
  assert.deepEqual(await scores('boxed_format', {}, group(['\\boxed{x}', '\\boxed{}', 'boxed{3}', 'a \\boxed{ {1} } b'])), [1, 0, 0, 1]);
});

test('contains: case-insensitive by default, configurable', async () => {
  const g = group(['Let me write Python code', 'no code here', 'import python']);
  assert.deepEqual(await scores('contains', {}, g), [1, 0, 1]);
  assert.deepEqual(await scores('contains', { text: 'Python', caseSensitive: true }, g), [1, 0, 0]);
});

test('language_consistency: share of target-script words in the reasoning', async () => {
  const g = group(['<think>one two three 四</think><answer>5</answer>', 'all english words here', '<think>我们 计算</think>', '<think>\\frac{1}{2} 42</think>']);
  // 3 Latin words of 4; 4 of 4; 0 of 4 (each Han character is a word); no words at all.
  assert.deepEqual(await scores('language_consistency', { language: 'en' }, g), [0.75, 1, 0, 0]);
  assert.deepEqual(await scores('language_consistency', { language: 'zh' }, g), [0.25, 0, 1, 0]);
});

test('continuous_numeric: hand-computed values of ½e^(−|e|/a) + ½e^(−|e|/(r|g|))', async () => {
  const g = group(['\\boxed{10}', '\\boxed{11}', '\\boxed{9.5}', '\\boxed{x}', 'no answer', '\\boxed{1,010}'], { gold: '10' });
  const s = await scores('continuous_numeric', {}, g);
  // p=11: |e|=1, rel=0.1 -> ½e^-1 + ½e^-1 = 0.367879; p=9.5: ½e^-0.5 + ½e^-0.5 = 0.606531
  const expected = [1, 0.367879, 0.606531, 0, 0, 0];
  s.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${i}: ${v}`));
  const big = await scores('continuous_numeric', { absScale: 10, relScale: 1 }, group(['\\boxed{1100}'], { gold: '1000' }));
  // |e|=100 -> ½e^-10 = 2.27e-5; rel 0.1 -> ½e^-0.1 = 0.452419
  assert.ok(Math.abs(big[0] - 0.452442) < 1e-6, String(big[0]));
  for (const v of s) assert.ok(v >= 0 && v <= 1);
});

test('overlong: DAPO piecewise shaping from token counts or characters', async () => {
  const g = group(['a', 'b', 'c', 'd', 'e'], { tokenCounts: [80, 96, 100, 112, 130] });
  // L=128, C=32: free up to 96; (96-100)/32 = -0.125; (96-112)/32 = -0.5; beyond 128: -1
  assert.deepEqual(await scores('overlong', { maxLength: 128, cacheLength: 32 }, g), [0, 0, -0.125, -0.5, -1]);
  assert.deepEqual(await scores('overlong', { maxLength: 4, cacheLength: 2, unit: 'chars' }, group(['ab', 'abc', 'abcd', 'abcde'])), [0, -0.5, -1, -1]);
  await assert.rejects(scores('overlong', { maxLength: 4, cacheLength: 2 }, group(['ab'])), UserError);
});

test('incorrect_label: rewards matching the deliberately wrong label only', async () => {
  const g = group(['\\boxed{7}', '\\boxed{6}', '\\boxed{7.0}'], { gold: '6', metadata: { incorrect_label: '7' } });
  assert.deepEqual(await scores('incorrect_label', {}, g), [1, 0, 1]);
  assert.deepEqual(await scores('incorrect_label', { label: '6' }, g), [0, 1, 0]);
});

test('majority_vote: equivalence-aware label, ties broken by first seen, unanswered get 0', async () => {
  const g = group(['\\boxed{1/2}', '\\boxed{3}', '\\boxed{0.5}', 'none', '\\boxed{3}', '\\boxed{\\frac{1}{2}}']);
  const res = await createReward('majority_vote', {}, ctx).score(g);
  assert.deepEqual(res.map((r) => r.score), [1, 0, 1, 0, 0, 1]);
  assert.equal(res[0].info.label, '1/2');
  const tie = await scores('majority_vote', {}, group(['\\boxed{2}', '\\boxed{5}', '\\boxed{5.0}', '\\boxed{2}']));
  assert.deepEqual(tie, [1, 0, 0, 1]);
  assert.deepEqual(await scores('majority_vote', {}, group(['a', 'b'])), [0, 0]);
});

test('self_certainty: KL(uniform ‖ softmax) from logits rows equals the definition', async () => {
  const rows = [
    [0, 0, 0, 0],
    [2, 0, -1, 0.5],
    [10, 0, 0, 0],
  ];
  // Independent reference: Σ_i (1/V) log((1/V) / p_i) with p = softmax(z).
  const kl = (z: number[]) => {
    const e = z.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.reduce((acc, ei) => acc + (1 / z.length) * Math.log(1 / z.length / (ei / s)), 0);
  };
  for (const z of rows) assert.ok(Math.abs(tokenSelfCertainty(z) - kl(z)) < 1e-12);
  assert.ok(Math.abs(tokenSelfCertainty([3, 3, 3])) < 1e-12);
  const reward = createReward('self_certainty', {}, ctx);
  assert.deepEqual(reward.needs, ['logits']);
  const s = await reward.score(group(['a', 'b'], { logits: [{ rows }, { selfCertainty: [0.5, 1.5] }] }));
  assert.ok(Math.abs(s[0].score - (kl(rows[0]) + kl(rows[1]) + kl(rows[2])) / 3) < 1e-12);
  assert.equal(s[1].score, 1);
  await assert.rejects(reward.score(group(['a'])), /needs token logits/);
});

test('composition: weighted sum with per-component scores and the union of needs', async () => {
  const composed = composeRewards(
    [
      { name: 'accuracy', weight: 1 },
      { name: 'format', weight: 0.5 },
      { name: 'contains', weight: -2, config: { text: 'python' } },
    ],
    ctx,
  );
  assert.deepEqual(composed.needs, []);
  const r = await composed.score(group(['<think>python</think><answer>4</answer>', '<think>x</think><answer>5</answer>'], { gold: '4' }));
  assert.deepEqual(r.map((x) => x.components), [
    { accuracy: 1, format: 1, contains: 1 },
    { accuracy: 0, format: 1, contains: 0 },
  ]);
  assert.deepEqual(r.map((x) => x.score), [1 + 0.5 - 2, 0.5]);
  assert.deepEqual(composeRewards([{ name: 'self_certainty' }, { name: 'format' }], ctx).needs, ['logits']);
});

test('configs are validated with errors naming the reward, field and value', () => {
  assert.throws(() => createReward('random', { gamma: 1.5 }, ctx), (e: Error) => e instanceof UserError && /random.*gamma.*1\.5/.test(e.message));
  assert.throws(() => createReward('overlong', { maxLength: 10, cacheLength: 20 }, ctx), /cacheLength must not exceed maxLength/);
  assert.throws(() => createReward('accuracy', { extractors: ['boxd'] }, ctx), /extractors/);
  assert.throws(() => createReward('contains', { txt: 'x' }, ctx), /txt/);
  assert.throws(() => createReward('nope', {}, ctx), /unknown reward 'nope'; available: accuracy/);
  assert.throws(() => composeRewards([{ name: 'format' }, { name: 'format' }], ctx), /appears twice/);
});

test('inverted: 1 − accuracy (a wrong or missing answer scores 1) and 1 − continuous_numeric', async () => {
  const g = group(['so \\boxed{12}', 'so \\boxed{13}', 'no answer'], { gold: '12' });
  assert.deepEqual(await scores('inverted', { of: 'accuracy' }, g), [0, 1, 1]);
  // continuous_numeric of 13 vs 12: ½e^{−1} + ½e^{−(1/12)/0.1}
  const cn = 0.5 * Math.exp(-1) + 0.5 * Math.exp(-1 / 12 / 0.1);
  const inv = await scores('inverted', { of: 'continuous_numeric' }, g);
  assert.equal(inv[0], 0);
  assert.ok(Math.abs(inv[1] - (1 - cn)) < 1e-12, String(inv[1]));
  assert.equal(inv[2], 1);
  await assert.rejects(() => scores('inverted', { of: 'format' }, g), UserError);
});
