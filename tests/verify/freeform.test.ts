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

/** Free-form model output (prose, several answers, relations, units, ...), labeled by hand before the code ran on it. */
const pairs = readFileSync(new URL('../fixtures/verify/freeform.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as LabeledPair);

test('free-form pairs: several hundred, every category with near misses, about half non-equivalent', () => {
  assert.ok(pairs.length >= 400, `${pairs.length} pairs`);
  const negatives = pairs.filter((p) => !p.expected).length;
  assert.ok(negatives >= 0.4 * pairs.length, `${negatives} non-equivalent of ${pairs.length}`);
  for (const c of new Set(pairs.map((p) => p.category))) assert.ok(pairs.some((p) => p.category === c && !p.expected), `${c} has no near miss`);
});

test('free-form pairs: per-category agreement and false positives (every verdict must match its label)', (t) => {
  const stats = new Map<string, { n: number; agree: number; fp: number; neg: number }>();
  const wrong: string[] = [];
  for (const p of pairs) {
    const v = verifyPair(p.gold, p.pred, { extractors: EXTRACTION_PRESETS.cli });
    const s = stats.get(p.category) ?? { n: 0, agree: 0, fp: 0, neg: 0 };
    s.n++;
    if (!p.expected) s.neg++;
    if (v.correct === p.expected) s.agree++;
    else {
      if (v.correct) s.fp++;
      wrong.push(`${p.expected ? 'FALSE NEGATIVE' : 'FALSE POSITIVE'} [${p.category}] gold=${JSON.stringify(p.gold)} pred=${JSON.stringify(p.pred)} extracted=${JSON.stringify(v.extracted)}: ${v.reason}`);
    }
    stats.set(p.category, s);
  }
  const rows = [...stats].map(([c, s]) => `${c.padEnd(12)} ${String(s.agree).padStart(3)}/${String(s.n).padEnd(3)} agree, ${s.fp}/${s.neg} false positives`);
  const total = [...stats.values()].reduce((a, s) => ({ n: a.n + s.n, agree: a.agree + s.agree, fp: a.fp + s.fp, neg: a.neg + s.neg }), { n: 0, agree: 0, fp: 0, neg: 0 });
  rows.push(`${'total'.padEnd(12)} ${total.agree}/${total.n} agree, ${total.fp}/${total.neg} false positives`);
  t.diagnostic(rows.join('\n'));
  console.log(rows.join('\n'));
  assert.deepEqual(wrong, [], `${wrong.length} disagreements:\n${wrong.join('\n')}`);
});
