import assert from 'node:assert/strict';
import { test } from 'node:test';
import { incorrectLabel } from '../../src/audit/incorrect-label.ts';
import { generateArithmetic } from '../../src/data/arithmetic.ts';
import { defaultRandomCalcOptions, generateRandomCalc } from '../../src/data/randomcalc.ts';
import { inProcessVerify } from '../../src/rewards/index.ts';
import { Rng } from '../../src/util/rng.ts';

test('the incorrect label adds one unit of the leading digit, keeping the decimals', () => {
  const cases: Array<[string, string]> = [
    ['42', '52'],
    ['7', '8'],
    ['0', '1'],
    ['-3', '-2'],
    ['-1', '0'],
    ['95', '105'],
    ['12.20', '22.20'],
    ['0.05', '0.06'],
    ['0.00', '1.00'],
    ['-0.5', '-0.4'],
    ['1,234', '2234'],
    [' 9 ', '10'],
    ['1/2', '3/2'],
    ['-1/3', '2/3'],
    ['\\frac{1}{2}', '(\\frac{1}{2})+1'],
    ['x^2', '(x^2)+1'],
  ];
  for (const [gold, want] of cases) assert.equal(incorrectLabel(gold), want, gold);
});

test('the incorrect label is deterministic and never verifies as the gold', async () => {
  const rng = new Rng(7);
  const golds = [
    ...generateArithmetic({ n: 200, seed: 3, maxOperand: 99 }).map((it) => it.answer),
    ...[...generateRandomCalc({ ...defaultRandomCalcOptions, n: 200, seed: 4, createdAt: '2025-01-01T00:00:00Z' })].map((it) => it.answer),
    ...Array.from({ length: 200 }, () => String(rng.int(2_000_001) - 1_000_000)),
    ...Array.from({ length: 100 }, () => `${rng.int(50) - 25}/${1 + rng.int(12)}`),
    '\\frac{3}{4}',
    '\\sqrt{2}',
    '2\\pi',
  ];
  for (const gold of golds) {
    const label = incorrectLabel(gold);
    assert.equal(incorrectLabel(gold), label, `not deterministic for ${gold}`);
    assert.notEqual(label.trim(), gold.trim());
    const v = await inProcessVerify(gold, label, { extractors: ['verbatim'] });
    assert.equal(v.correct, false, `label ${label} verifies as gold ${gold} (${v.reason})`);
  }
});
