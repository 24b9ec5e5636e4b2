import { test } from 'node:test';
import assert from 'node:assert/strict';
import { majorityVote } from '../../src/eval/vote.ts';

const same = (a: string, b: string) => a === b;
const numeric = (a: string, b: string) => {
  const v = (s: string) => (s.includes('/') ? Number(s.split('/')[0]) / Number(s.split('/')[1]) : Number(s));
  return Math.abs(v(a) - v(b)) < 1e-12;
};

test('cons@k: the largest cluster wins; ties go to the cluster seen first', async () => {
  assert.deepEqual(await majorityVote(['a', 'b', 'b', 'c'], same), { winner: 1, votes: 2, clusters: 3 });
  assert.deepEqual(await majorityVote(['a', 'b', 'b', 'a'], same), { winner: 0, votes: 2, clusters: 2 });
  assert.deepEqual(await majorityVote(['b', 'a', 'a', 'b'], same), { winner: 0, votes: 2, clusters: 2 });
  assert.deepEqual(await majorityVote(['x', 'y', 'z'], same), { winner: 0, votes: 1, clusters: 3 });
});

test('cons@k clusters by the equivalence function, sync or async', async () => {
  // 1/2 and 0.5 form one cluster of 3, beating "2" twice.
  const answers = ['2', '1/2', '2', '0.5', '0.50'];
  assert.deepEqual(await majorityVote(answers, numeric), { winner: 1, votes: 3, clusters: 2 });
  assert.deepEqual(await majorityVote(answers, same), { winner: 0, votes: 2, clusters: 4 });
  const asyncNumeric = async (a: string, b: string) => {
    await new Promise((r) => setImmediate(r));
    return numeric(a, b);
  };
  assert.deepEqual(await majorityVote(answers, asyncNumeric), { winner: 1, votes: 3, clusters: 2 });
});

test('cons@k: unextracted answers never win, and all-null has no winner', async () => {
  assert.deepEqual(await majorityVote([null, null, null, '7'], same), { winner: 3, votes: 1, clusters: 1 });
  assert.deepEqual(await majorityVote([null, null], same), { winner: null, votes: 0, clusters: 0 });
  assert.deepEqual(await majorityVote([], same), { winner: null, votes: 0, clusters: 0 });
});
