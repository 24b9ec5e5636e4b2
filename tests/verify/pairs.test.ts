import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXTRACTION_PRESETS } from '../../src/verify/extract.ts';
import { verifyPair } from '../../src/verify/verify.ts';

interface LabeledPair {
  category: string;
  gold: string;
  pred: string;
  expected: boolean;
}

const pairs = readFileSync(new URL('../fixtures/verify/pairs.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as LabeledPair);

const CATEGORIES = [
  'integer', 'fraction', 'decimal', 'radical_pi', 'symbolic', 'tuple', 'interval', 'set_list', 'plus_minus', 'matrix',
  'equation', 'complex', 'base_n', 'units', 'text_choice', 'extraction', 'misc', 'near_miss', 'heldout',
];

test('labeled pairs: at least 300, every category present, at least as many non-equivalent as equivalent', () => {
  assert.ok(pairs.length >= 300, `${pairs.length} pairs`);
  const seen = new Set(pairs.map((p) => p.category));
  assert.deepEqual([...seen].sort(), [...CATEGORIES].sort());
  const negatives = pairs.filter((p) => !p.expected).length;
  assert.ok(negatives >= pairs.length - negatives, `${negatives} non-equivalent of ${pairs.length}`);
});

test('labeled pairs: every verdict matches its label (false positives and false negatives listed)', () => {
  const wrong: string[] = [];
  for (const p of pairs) {
    const v = verifyPair(p.gold, p.pred, { extractors: EXTRACTION_PRESETS.cli });
    if (v.correct !== p.expected) {
      wrong.push(`${p.expected ? 'FALSE NEGATIVE' : 'FALSE POSITIVE'} [${p.category}] gold=${JSON.stringify(p.gold)} pred=${JSON.stringify(p.pred)}: ${v.reason}`);
    }
  }
  const accuracy = (pairs.length - wrong.length) / pairs.length;
  assert.deepEqual(wrong, [], `accuracy ${(100 * accuracy).toFixed(1)}% on ${pairs.length} pairs:\n${wrong.join('\n')}`);
});

test('verdicts are symmetric for bare answers of the same kind, except a decimal against an exact value', () => {
  const asymmetric: string[] = [];
  // A decimal reference is exact (0.33333 is not 1/3), while a decimal answer may round an exact
  // reference that has no finite decimal form (1/3 accepts 0.33333): asymmetric by design.
  const decimal = (s: string) => /\d\.\d/.test(s);
  const bare = (q: LabeledPair) =>
    !q.pred.includes('\\boxed') &&
    decimal(q.gold) === decimal(q.pred) &&
    !['extraction', 'base_n', 'equation', 'units', 'text_choice', 'misc'].includes(q.category);
  for (const p of pairs.filter(bare)) {
    const forward = verifyPair(p.gold, p.pred, { extractors: ['verbatim'] }).correct;
    const backward = verifyPair(p.pred, p.gold, { extractors: ['verbatim'] }).correct;
    if (forward !== backward) asymmetric.push(`${p.gold} | ${p.pred}`);
  }
  assert.deepEqual(asymmetric, []);
  assert.equal(verifyPair('\\frac{1}{3}', '0.33333', { extractors: ['verbatim'] }).correct, true);
  assert.equal(verifyPair('0.33333', '\\frac{1}{3}', { extractors: ['verbatim'] }).correct, false);
});
