import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXTRACTION_PRESETS, extractAnswer, goldAnswer, lastBoxed } from '../../src/verify/extract.ts';
import { normalizeAnswer } from '../../src/verify/normalize.ts';
import { verifyPair } from '../../src/verify/verify.ts';

test('lastBoxed takes the last box with nested and escaped braces', () => {
  assert.equal(lastBoxed('first \\boxed{1} then \\boxed{\\frac{a}{b^{2}}}.'), '\\frac{a}{b^{2}}');
  assert.equal(lastBoxed('\\boxed{\\{1, 2\\}}'), '\\{1, 2\\}');
  assert.equal(lastBoxed('\\fbox{7}'), '7');
  assert.equal(lastBoxed('$\\framebox{204}$ minutes'), '204');
  assert.equal(lastBoxed('\\boxed{unclosed'), null);
  assert.equal(lastBoxed('\\boxedx{3}'), null);
  assert.equal(lastBoxed('no box'), null);
});

test('extractors: answer tag, final answer phrase, GSM8K marker; last number only when asked', () => {
  assert.deepEqual(extractAnswer('<think>2+2</think><answer> 4 </answer>'), { answer: '4', by: 'answer_tag' });
  assert.deepEqual(extractAnswer('<answer>so \\boxed{5}</answer>'), { answer: '5', by: 'boxed' });
  assert.deepEqual(extractAnswer('Thus the final answer is $\\frac{1}{2}$. Done'), { answer: '\\frac{1}{2}', by: 'final_answer' });
  assert.deepEqual(extractAnswer('The answer is 3.5.'), { answer: '3.5', by: 'final_answer' });
  assert.deepEqual(extractAnswer('5 + 7 = 12\n#### 12'), { answer: '12', by: 'gsm8k' });
  assert.equal(extractAnswer('I computed 12 and then 13'), null);
  assert.deepEqual(extractAnswer('I computed 12 and then 1,300.', EXTRACTION_PRESETS.lenient), { answer: '1,300', by: 'last_number' });
  assert.deepEqual(extractAnswer('x = 3', EXTRACTION_PRESETS.cli), { answer: 'x = 3', by: 'whole' });
  assert.equal(extractAnswer('a\nmultiline bare response', EXTRACTION_PRESETS.cli), null);
});

test('gold answers may be wrapped in $...$, \\boxed{} or a GSM8K solution', () => {
  assert.equal(goldAnswer('\\boxed{3}'), '3');
  assert.equal(goldAnswer('work <<2*3=6>>6\n#### 6'), '6');
  assert.equal(verifyPair('$\\frac{1}{2}$', '\\boxed{0.5}').correct, true);
});

test('normalization removes presentation but keeps meaning', () => {
  const cases: Array<[string, string]> = [
    ['\\left( 3, \\frac{\\pi}{2} \\right)', '( 3, \\frac{\\pi}{2} )'],
    ['\\dfrac{14}{3}', '\\frac{14}{3}'],
    ['10{,}080', '10,080'],
    ['11,\\! 111,\\! 100', '11,111,100'],
    ['\\$32,\\!348', '32,348'],
    ['106^\\circ', '106'],
    ['25\\%', '25'],
    ['15\\mbox{ cm}^2', '15'],
    ['5.4 \\text{ cents}', '5.4'],
    ['\\text{Evelyn}', 'Evelyn'],
    ['1331 \\text{ and } 1728', '1331 and 1728'],
    ['x \\in [-2,7]', '[-2,7]'],
    ['42.', '42'],
    ['$3\\,\\!$', '3'],
    ['−5 × 2', '-5 \\times 2'],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeAnswer(input), expected, input);
});

test('reasons are recorded for negative verdicts', () => {
  assert.match(verifyPair('5', 'no answer here').reason, /no answer found/);
  assert.match(verifyPair('\\pm 5', '\\boxed{5}').reason, /expected 2 answers/);
  assert.match(verifyPair('[1,5)', '\\boxed{[1,5]}').reason, /brackets/);
  assert.match(verifyPair('\\frac{1}{3^{40}}', '\\boxed{\\frac{1}{3^{41}}}').reason, /exact values differ/);
});

test('relative tolerance for decimals is configurable', () => {
  assert.equal(verifyPair('\\frac{1}{3}', '\\boxed{0.333}').correct, false);
  assert.equal(verifyPair('\\frac{1}{3}', '\\boxed{0.333}', { relTol: 1e-2 }).correct, true);
});

test('free-form extraction: last math span, cues, dollar signs, chat-template turns, bare numbers', () => {
  const cli = (text: string) => extractAnswer(text, EXTRACTION_PRESETS.cli)?.answer ?? null;
  assert.equal(cli('The minimum value is $-3$, attained at $x=1$.'), '-3');
  assert.equal(cli('So $x^2 = 81$ and therefore $x = 9$ since $x$ is positive.'), 'x = 9');
  assert.equal(cli('The solutions are $x=2$ or $x=5$.'), 'x=2, x=5');
  assert.equal(cli('Final Answer: the largest $k$ is 12.'), '12');
  assert.equal(cli('Final answer: $24$. Check: $24 = 4 \\cdot 6$.'), '24');
  assert.equal(cli('I think the answer is 5 because it fits both equations.'), '5');
  assert.equal(cli('It costs $5 and $10.'), '10');
  assert.equal(cli('Tickets cost $5 each, so three cost $15.'), '15');
  assert.equal(cli('The answer is **5**.'), '5');
  assert.equal(cli('The answer is 42.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\nThe answer is 4.'), '42');
  assert.equal(cli('<|im_start|>assistant\nThe answer is $1$.<|im_end|>'), '1');
  assert.equal(cli('So there are 8 ways.'), '8 ways');
  assert.equal(cli('The side lengths are 3, 4, and 5.'), '3, 4, 5');
  assert.equal(cli('Answer 7'), '7');
  assert.equal(cli('The area is 40 m².'), '40 m²');
  assert.equal(cli('no answer in words'), 'no answer in words');
});
