import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastBoxedContent } from '../../src/data/boxed.ts';
import { rawTopLevelValue } from '../../src/data/rawjson.ts';

test('rawTopLevelValue returns the source text of top-level values only', () => {
  const line = '{"a": {"answer": 1.0, "s": "}\\"]"}, "b":[1,{"c":2}], "answer" : 27.0 , "e":-3e2}';
  assert.equal(rawTopLevelValue(line, 'answer'), '27.0');
  assert.equal(rawTopLevelValue(line, 'b'), '[1,{"c":2}]');
  assert.equal(rawTopLevelValue(line, 'a'), '{"answer": 1.0, "s": "}\\"]"}');
  assert.equal(rawTopLevelValue(line, 'e'), '-3e2');
  assert.equal(rawTopLevelValue(line, 'zz'), undefined);
  assert.equal(rawTopLevelValue('{"k\\u0061": 5.50}', 'ka'), '5.50');
});

test('lastBoxedContent: last box, balanced braces, escaped braces, incomplete boxes', () => {
  assert.equal(lastBoxedContent('a \\boxed{1} b \\boxed{\\frac{1}{2}} c'), '\\frac{1}{2}');
  assert.equal(lastBoxedContent('\\boxed{\\{1,2\\}}'), '\\{1,2\\}');
  assert.equal(lastBoxedContent('\\boxed {x}'), 'x');
  assert.equal(lastBoxedContent('\\boxed{7} then \\boxed{unclosed'), '7');
  assert.equal(lastBoxedContent('no box'), null);
});
