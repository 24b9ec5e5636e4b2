import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitByCharacters, splitByTokens } from '../../src/audit/prefix.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// 42 characters; index 16 is the '1' of "12", 25 the comma, 33 the 'o' of "double".
const q = 'Find the sum of 12 and 30, then double it.';

test('character split: cut at ⌊len·ratio⌋, moved forward to the next delimiter', () => {
  assert.equal(q.length, 42);
  // ⌊16.8⌋ = 16 is inside "12": the cut moves to the space at 18
  assert.deepEqual(splitByCharacters(q, 0.4), {
    prefix: 'Find the sum of 12',
    remainder: 'and 30, then double it.',
  });
  // ⌊25.2⌋ = 25 is the comma itself, a delimiter: the prefix stops before it
  assert.deepEqual(splitByCharacters(q, 0.6), {
    prefix: 'Find the sum of 12 and 30',
    remainder: ', then double it.',
  });
  // ⌊33.6⌋ = 33 is inside "double": the cut moves to the space at 38
  assert.deepEqual(splitByCharacters(q, 0.8), {
    prefix: 'Find the sum of 12 and 30, then double',
    remainder: 'it.',
  });
  // a cut inside the last word runs to the end: nothing remains
  assert.deepEqual(splitByCharacters('Compute twelve', 0.9), { prefix: 'Compute twelve', remainder: '' });
  // code points, not UTF-16 units: 10 code points, ⌊3⌋ = 'a' → cut at 4 (by UTF-16 units, ⌊12·0.3⌋ = 3 would cut before 'a')
  assert.deepEqual(splitByCharacters('𝑥𝑥 a b c d', 0.3), { prefix: '𝑥𝑥 a', remainder: 'b c d' });
});

test('token split: the first ⌊n·ratio⌋ tokens (one per character for the char tokenizer)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-prefix-'));
  writeCharModelDir(dir, { seed: 0 });
  const tokenizer = CausalLM.load(dir).tokenizer;
  // ⌊42·0.4⌋ = 16 tokens: "Find the sum of " (trailing space trimmed), no word-boundary rule
  assert.deepEqual(splitByTokens(q, 0.4, tokenizer), {
    prefix: 'Find the sum of',
    remainder: '12 and 30, then double it.',
  });
  assert.deepEqual(splitByTokens(q, 0.8, tokenizer), {
    prefix: 'Find the sum of 12 and 30, then d',
    remainder: 'ouble it.',
  });
});
