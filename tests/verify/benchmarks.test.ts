import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { lastBoxed } from '../../src/verify/extract.ts';
import { verifyPair } from '../../src/verify/verify.ts';

const load = (name: string) =>
  readFileSync(new URL(`../../data/benchmarks/${name}.jsonl`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('MATH-500: the answer extracted from every solution verifies equal to the reference', () => {
  const rows = load('math500');
  assert.equal(rows.length, 500);
  const failures: string[] = [];
  rows.forEach((r, i) => {
    const v = verifyPair(String(r.answer), String(r.solution));
    if (!v.correct) failures.push(`math500/${i}: answer ${JSON.stringify(r.answer)} extracted ${JSON.stringify(v.extracted)}: ${v.reason}`);
  });
  assert.deepEqual(failures, [], `${failures.length} of 500 failed:\n${failures.join('\n')}`);
});

test('MATH-500: across rows with integer answers, verdicts agree with integer comparison', () => {
  const ints = load('math500')
    .map((r) => String(r.answer))
    .filter((a) => /^-?\d+$/.test(a));
  assert.ok(ints.length > 200);
  let compared = 0;
  for (let i = 0; i < ints.length; i++) {
    for (const j of [i + 1, i + 7, i + 31]) {
      const other = ints[j % ints.length];
      const expected = BigInt(ints[i]) === BigInt(other);
      assert.equal(verifyPair(ints[i], `The answer is $\\boxed{${other}}$.`).correct, expected, `${ints[i]} vs ${other}`);
      compared++;
    }
  }
  assert.ok(compared > 600);
});

test('Minerva: each solution verifies against its own boxed answer', () => {
  const failures: string[] = [];
  for (const r of load('minerva_math')) {
    const boxed = lastBoxed(String(r.solution));
    assert.notEqual(boxed, null, `minerva ${r.idx} has no boxed answer`);
    const v = verifyPair(boxed!, String(r.solution));
    if (!v.correct) failures.push(`minerva/${r.idx}: ${v.reason}`);
  }
  assert.deepEqual(failures, []);
});

test('AMC23: float references (27.0) accept integer responses and reject off-by-one', () => {
  for (const r of load('amc23')) {
    const answer = Number(r.answer);
    assert.ok(Number.isInteger(answer));
    const line = JSON.stringify(r.answer);
    assert.equal(verifyPair(`${answer.toFixed(1)}`, `so the answer is $\\boxed{${answer}}$.`).correct, true, `amc23 ${r.id}: ${line}`);
    assert.equal(verifyPair(`${answer.toFixed(1)}`, `so the answer is $\\boxed{${answer + 1}}$.`).correct, false, `amc23 ${r.id} +1`);
  }
});

test('GSM8K: the worked solution\'s #### answer verifies against itself and not against the next one', () => {
  const rows = load('gsm8k');
  let mismatched = 0;
  rows.forEach((r, i) => {
    assert.equal(verifyPair(String(r.answer), String(r.answer)).correct, true, `gsm8k/${i}`);
    const next = String(rows[(i + 1) % rows.length].answer);
    const gold = String(r.answer).split('####').pop()!.trim();
    const nextGold = next.split('####').pop()!.trim();
    if (gold !== nextGold) {
      mismatched++;
      assert.equal(verifyPair(String(r.answer), next).correct, false, `gsm8k/${i} vs next`);
    }
  });
  assert.ok(mismatched > 1000);
});
