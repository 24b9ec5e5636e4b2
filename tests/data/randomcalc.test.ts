import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rational } from '../../src/data/rational.ts';
import { generateRandomCalc, type RandomCalcItem, type RandomCalcOptions } from '../../src/data/randomcalc.ts';

const base: RandomCalcOptions = { n: 400, seed: 11, minSteps: 1, maxSteps: 20, minOperand: 1, maxOperand: 100, maxDecimals: 2, createdAt: '2025-06-01T12:00:00Z' };

/** An independent float evaluator for the plain expressions: + - * / with parentheses, left to right. */
function evaluate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]/g)!;
  let i = 0;
  const primary = (): number => {
    const t = tokens[i++];
    if (t === '(') {
      if (tokens[i] === '-') {
        i++;
        const v = -Number(tokens[i++]);
        i++;
        return v;
      }
      const v = sum();
      i++;
      return v;
    }
    return Number(t);
  };
  const product = (): number => {
    let v = primary();
    while (tokens[i] === '*' || tokens[i] === '/') v = tokens[i++] === '*' ? v * primary() : v / primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[i] === '+' || tokens[i] === '-') v = tokens[i++] === '+' ? v + product() : v - product();
    return v;
  };
  return sum();
}

function fractionValue(exact: string): number {
  const [p, q = '1'] = exact.split('/');
  return Number(BigInt(p)) / Number(BigInt(q));
}

test('rounding is half away from zero to 2 decimals, hand-checked', () => {
  const r = (p: bigint, q: bigint) => new Rational(p, q).toFixedHalfAwayFromZero(2);
  assert.equal(r(1n, 8n), '0.13'); // 0.125
  assert.equal(r(-1n, 8n), '-0.13');
  assert.equal(r(2n, 3n), '0.67');
  assert.equal(r(1n, 3n), '0.33');
  assert.equal(r(-1n, 200n), '-0.01'); // -0.005
  assert.equal(r(-1n, 250n), '0.00'); // -0.004: no negative zero
  assert.equal(r(12345n, 1n), '12345.00');
  assert.equal(new Rational(6n, -4n).toFraction(), '-3/2');
});

test('answers equal an independent evaluation of the expression; steps within bounds; every operator used', () => {
  const items = [...generateRandomCalc(base)];
  assert.equal(items.length, 400);
  const opCount = { '+': 0, '-': 0, '*': 0, '/': 0 };
  for (const item of items) {
    const exact = fractionValue(item.answer_exact);
    const float = evaluate(item.expression);
    assert.ok(Math.abs(float - exact) <= 1e-9 * Math.max(1, Math.abs(exact)), `${item.id}: ${item.expression} = ${float}, exact ${item.answer_exact}`);
    if (Math.abs(exact) < 1e12) assert.ok(Math.abs(Number(item.answer) - exact) <= 0.005 + 1e-9, `${item.id} rounded ${item.answer} vs ${exact}`);
    assert.match(item.answer, /^-?\d+\.\d\d$/);
    assert.ok(item.steps >= 1 && item.steps <= 20);
    // One sentence per step plus the opening and the question.
    assert.equal(item.problem.split('. ').length, item.steps + 2, item.problem);
    for (const m of item.expression.matchAll(/ ([-+*/]) /g)) opCount[m[1] as keyof typeof opCount]++;
  }
  const totalSteps = items.reduce((s, i) => s + i.steps, 0);
  assert.equal(Object.values(opCount).reduce((a, b) => a + b, 0), totalSteps);
  // Uniform operators: each within 5 standard deviations of totalSteps/4 (seeded, so deterministic).
  const sd = Math.sqrt(totalSteps * 0.25 * 0.75);
  for (const [op, count] of Object.entries(opCount)) assert.ok(Math.abs(count - totalSteps / 4) < 5 * sd, `${op}: ${count} of ${totalSteps}`);
  assert.ok(items.some((i) => i.steps === 1) && items.some((i) => i.steps === 20));
});

test('operands stay in range with at most the allowed decimals; zero divisors are resampled', () => {
  const items = [...generateRandomCalc({ ...base, n: 300, minOperand: 0, maxOperand: 2, maxDecimals: 0, minSteps: 5, maxSteps: 5 })];
  for (const item of items) {
    for (const m of item.expression.matchAll(/\d+(?:\.\d+)?/g)) assert.ok(['0', '1', '2'].includes(m[0]), m[0]);
    assert.ok(!/\/ 0(?!\.)/.test(item.expression), item.expression);
    assert.ok(Number.isFinite(evaluate(item.expression)), item.expression);
  }
  const decimals = [...generateRandomCalc({ ...base, n: 100, minOperand: -5, maxOperand: 5, maxDecimals: 1 })];
  for (const item of decimals) {
    for (const m of item.expression.matchAll(/\(?(-?\d+(?:\.(\d+))?)\)?/g)) {
      assert.ok((m[2] ?? '').length <= 1 && Math.abs(Number(m[1])) <= 5, m[0]);
    }
  }
  assert.ok(decimals.some((i) => i.expression.includes('(-')), 'negative operands appear');
});

test('same seed gives the same items; another seed differs; the stamp records time and version', () => {
  const a = [...generateRandomCalc({ ...base, n: 20 })];
  const b = [...generateRandomCalc({ ...base, n: 20 })];
  const c = [...generateRandomCalc({ ...base, n: 20, seed: 12 })];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((i) => i.expression), c.map((i) => i.expression));
  assert.equal(a[0].created_at, '2025-06-01T12:00:00.000Z');
  assert.equal(a[0].generator_version, '1');
  const before = Date.now();
  const [fresh] = [...generateRandomCalc({ ...base, n: 1, createdAt: undefined })];
  assert.ok(Date.parse(fresh.created_at) >= before - 1000 && Date.parse(fresh.created_at) <= Date.now());
});

test('CLI: gen-data randomcalc with --created-at reproduces the file byte for byte', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-randomcalc-'));
  const run = (out: string, seed: string) =>
    spawnSync(process.execPath, ['bin/rlvr.mjs', 'gen-data', 'randomcalc', '--n', '50', '--seed', seed, '--min-steps', '2', '--max-steps', '6', '--out', out, '--created-at', '2025-06-01T12:00:00Z'], { encoding: 'utf8' });
  for (const [out, seed] of [['a.jsonl', '9'], ['b.jsonl', '9'], ['c.jsonl', '10']]) {
    const r = run(join(dir, out), seed);
    assert.equal(r.status, 0, r.stderr);
  }
  const a = readFileSync(join(dir, 'a.jsonl'));
  assert.ok(a.equals(readFileSync(join(dir, 'b.jsonl'))));
  assert.ok(!a.equals(readFileSync(join(dir, 'c.jsonl'))));
  const items = a.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as RandomCalcItem);
  assert.equal(items.length, 50);
  assert.ok(items.every((i) => i.steps >= 2 && i.steps <= 6));
  const bad = run(join(dir, 'd.jsonl'), '-1');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--seed must be an integer/);
  assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/);
});
