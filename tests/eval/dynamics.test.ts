import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeDynamics, countPhrase, isLanguageMixed, percentile, phraseMatcher } from '../../src/eval/dynamics.ts';

/** Hand-labeled: the reflective phrases each response contains (counts), and whether it mixes languages. */
const labeled: Array<{ text: string; reflective: Record<string, number>; mixed: boolean }> = [
  { text: 'Wait, wait. Let me check the sum again: 3+4=7.', reflective: { wait: 2, 'let me check': 1 }, mixed: false },
  { text: 'I was waiting for the bus; the answer is 12.', reflective: {}, mixed: false },
  { text: 'Let me re-evaluate. Actually reevaluate: I made a mistake, so verify x = 3.', reflective: { 're-evaluate': 2, mistake: 1, verify: 1 }, mixed: false },
  { text: 'The verified answer has no mistakes.', reflective: {}, mixed: false },
  { text: '等等，让我检查一下。3 加 4 等于 7，验证正确。', reflective: { 等等: 1, 让我检查: 1, 验证: 1 }, mixed: false },
  { text: 'We need the sum. 所以答案是 7, which we verify by substitution.', reflective: { verify: 1 }, mixed: true },
  { text: '设 x 为未知数，则 x + 3 = 7，所以 x = 4。', reflective: {}, mixed: false },
  { text: 'Compute \\frac{1}{2} + \\sqrt{4} step by step; the result is 2.5 and there was an 错误 earlier.', reflective: { 错误: 1 }, mixed: true },
  { text: 'Сначала сложим числа, then we add the rest.', reflective: {}, mixed: true },
  { text: 'WAIT — let   me CHECK.', reflective: { wait: 1, 'let me check': 1 }, mixed: false },
];

test('reflective phrases: whole words, case, spacing, hyphen variants, Chinese substrings', () => {
  for (const { text, reflective } of labeled) {
    for (const phrase of ['wait', 'let me check', 're-evaluate', 'verify', 'mistake', '等等', '让我检查', '重新评估', '验证', '错误']) {
      assert.equal(countPhrase(text, phraseMatcher(phrase)), reflective[phrase] ?? 0, `${phrase} in ${text}`);
    }
  }
});

test('language mixing against hand labels', () => {
  for (const { text, mixed } of labeled) assert.equal(isLanguageMixed(text), mixed, text);
  assert.equal(isLanguageMixed(''), false);
  // LaTeX commands are not words: an English response full of them is not mixed
  assert.equal(isLanguageMixed('\\frac{1}{2} + \\sqrt{4} = \\alpha, the answer is \\boxed{2.5}'), false);
  // one foreign word in a long response stays under the 5% threshold
  assert.equal(isLanguageMixed(`${'we add the numbers '.repeat(6)}所`), false);
});

test('dynamics summary: lengths, rates, truncation', () => {
  const d = computeDynamics(labeled.map((l, i) => ({ text: l.text, tokens: (i + 1) * 10, truncated: i % 5 === 0 })));
  assert.equal(d.responses, 10);
  assert.equal(d.response_length_mean, 55);
  // NumPy: np.percentile([10..100], [10, 50, 90]) = 19, 55, 91
  assert.ok(Math.abs(d.response_length_p10 - 19) < 1e-9 && d.response_length_p50 === 55 && Math.abs(d.response_length_p90 - 91) < 1e-9);
  assert.equal(d.response_length_max, 100);
  const withAny = labeled.filter((l) => Object.keys(l.reflective).length > 0).length;
  assert.equal(d.reflective_rate, withAny / 10);
  assert.equal(d.reflective_per_response, labeled.reduce((s, l) => s + Object.values(l.reflective).reduce((a, b) => a + b, 0), 0) / 10);
  assert.equal(d.reflective_phrases.wait, 0.2);
  assert.equal(d.language_mixing_rate, 0.3);
  assert.equal(d.truncated_share, 0.2);
  const custom = computeDynamics([{ text: 'Hmm, hold on.', tokens: 3, truncated: false }], { phrases: ['hold on', 'hmm'] });
  assert.deepEqual(custom.reflective_phrases, { 'hold on': 1, hmm: 1 });
  assert.equal(percentile([], 0.5), 0);
});
