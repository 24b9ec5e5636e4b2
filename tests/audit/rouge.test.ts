import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exactMatch, firstWords, lcsLength, rougeL, rougeTokens } from '../../src/audit/rouge.ts';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('rouge tokens: lowercase, non-alphanumerics split and vanish', () => {
  assert.deepEqual(rougeTokens('Find $x^2+1$, then STOP.'), ['find', 'x', '2', '1', 'then', 'stop']);
  assert.deepEqual(rougeTokens(' \n.,;'), []);
});

test('LCS lengths by hand', () => {
  assert.equal(lcsLength(['a', 'b', 'c', 'd'], ['d', 'c', 'b', 'a']), 1);
  assert.equal(lcsLength(['a', 'b', 'c', 'd', 'e'], ['a', 'x', 'c', 'y', 'e', 'z']), 3);
  assert.equal(lcsLength([], ['a']), 0);
});

test('ROUGE-L F1 against hand-computed values', () => {
  // rouge-score README example: LCS "the quick brown jumps the" = 5; P = 5/8, R = 5/9
  const readme = rougeL(
    'The quick brown fox jumps over the lazy dog',
    'The quick brown dog jumps on the log.',
  );
  close(readme.precision, 0.625);
  close(readme.recall, 5 / 9);
  close(readme.f1, (2 * 0.625 * (5 / 9)) / (0.625 + 5 / 9));
  // one reference word dropped: P = 1, R = 5/6, F = 10/11
  close(rougeL('the cat sat on the mat', 'the cat on the mat').f1, 10 / 11);
  // LCS a c e: P = 3/6, R = 3/5, F = 6/11
  close(rougeL('a b c d e', 'a x c y e z').f1, 6 / 11);
  close(rougeL('a b c d', 'd c b a').f1, 0.25);
  // case and punctuation do not count
  close(rougeL('Find $x^2+1$.', 'find x 2, 1').f1, 1);
  assert.deepEqual(rougeL('...', 'abc'), { precision: 0, recall: 0, f1: 0 });
  assert.deepEqual(rougeL('abc', ''), { precision: 0, recall: 0, f1: 0 });
});

test('exact match normalizes whitespace only', () => {
  assert.equal(exactMatch('What is  2+3?\n', ' What is 2+3?'), true);
  assert.equal(exactMatch('What is 2+3?', 'what is 2+3?'), false);
  assert.equal(exactMatch('What is 2+3?', 'What is 2 + 3?'), false);
});

test('firstWords keeps the first n whitespace-separated words', () => {
  assert.equal(firstWords('  a  b\nc d ', 2), 'a b');
  assert.equal(firstWords('a', 3), 'a');
  assert.equal(firstWords('a b', 0), '');
});
