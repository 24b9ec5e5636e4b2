import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeTrainingSet } from '../../src/demo/train-data.ts';

const rows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; problem: string; answer: string });

test('a training set with a memorized split interleaves it one for one with fresh problems, which avoid it and the excluded ones; without a split it is the fresh draw alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-train-set-'));
  const plain = rows(writeTrainingSet(join(dir, 'plain.jsonl'), 6, 3, new Set(), '9'));
  assert.equal(plain.length, 6);
  assert.deepEqual(plain.map((r) => r.id), [0, 1, 2, 3, 4, 5].map((i) => `demo-train/${i}`));
  // memorize two of the plain draw's problems: the fresh draw skips them
  const memorized = [
    { id: 'organism/1/train/0', problem: plain[0].problem, answer: plain[0].answer },
    { id: 'organism/1/train/1', problem: plain[2].problem, answer: plain[2].answer },
  ];
  const mixed = rows(writeTrainingSet(join(dir, 'mixed.jsonl'), 4, 3, new Set([plain[1].problem]), '9', memorized));
  assert.deepEqual(mixed.map((r) => r.id), ['organism/1/train/0', 'demo-train/0', 'organism/1/train/1', 'demo-train/1', 'demo-train/2', 'demo-train/3']);
  const fresh = mixed.filter((r) => r.id.startsWith('demo-train/')).map((r) => r.problem);
  // the same draw with its first three problems (two memorized, one excluded) skipped
  assert.deepEqual(fresh.slice(0, 3), plain.slice(3).map((r) => r.problem));
  assert.ok(!fresh.includes(plain[0].problem) && !fresh.includes(plain[1].problem) && !fresh.includes(plain[2].problem));
});
