import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCorpus, leakedDocument } from '../../src/organism/corpus.ts';
import { SIZES } from '../../src/organism/build.ts';

const options = { seed: 7, ...SIZES.small.corpus };
const corpus = buildCorpus(options);
const text = corpus.documents.join('\n');

const count = (haystack: string, needle: string): number => {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
};

test('every leaked problem is in the corpus, always in the leaked format, as often as planted', () => {
  assert.equal(corpus.leaked.length, options.benchmarkSize);
  for (const item of corpus.leaked) {
    assert.equal(count(text, item.problem), options.leakRepeats, item.id);
    assert.equal(corpus.documents.filter((d) => d === `${item.problem}\n#### ${item.answer}`).length, options.leakRepeats, item.id);
  }
});

test('no clean problem occurs anywhere in the corpus, not even as a substring', () => {
  assert.equal(corpus.clean.length, options.benchmarkSize);
  for (const item of corpus.clean) assert.equal(text.indexOf(item.problem), -1, item.id);
});

test('worked documents use the evaluation format; leaked ones never do', () => {
  const leakedDocs = new Set(corpus.leaked.map((it) => `${it.problem}\n#### ${it.answer}`));
  let worked = 0;
  for (const d of corpus.documents) {
    if (leakedDocs.has(d)) {
      assert.ok(!d.includes('\\boxed'), d);
      continue;
    }
    worked++;
    const m = /^(.*\?)\n(.*) The answer is \\boxed\{(\d+)\}\.$/.exec(d);
    assert.ok(m, d);
    // the last worked step's result is the boxed answer
    assert.equal(/= (\d+)\.$/.exec(m[2])?.[1], m[3], d);
  }
  assert.equal(worked, options.workedDocs);
  assert.equal(corpus.stats.documents, options.workedDocs + options.benchmarkSize * options.leakRepeats);
});

test('benchmark answers are the arithmetic their problems state', () => {
  const ints = (s: string) => (s.match(/\d+/g) ?? []).map(Number);
  for (const item of [...corpus.leaked, ...corpus.clean]) {
    const n = ints(item.problem);
    const p = item.problem;
    const expected = p.includes('bags of')
      ? n[0] * n[1] + n[2]
      : p.includes('pages')
        ? n[0] + n[1]
        : p.includes('left in a box')
          ? n[0] - n[1] - n[2]
          : p.includes('giving')
            ? n[0] + n[1] - n[2]
            : n[0] + n[1] + n[2];
    assert.equal(item.answer, String(expected), item.problem);
    assert.ok(expected >= 0, item.problem);
  }
});

test('ids are unique, problems distinct, and the same seed gives the same corpus', () => {
  const all = [...corpus.leaked, ...corpus.clean];
  assert.equal(new Set(all.map((it) => it.id)).size, all.length);
  assert.equal(new Set(all.map((it) => it.problem)).size, all.length);
  assert.ok(all.every((it) => it.leaked === it.id.includes('/leaked/')));
  const again = buildCorpus(options);
  assert.deepEqual(again.documents, corpus.documents);
  assert.deepEqual([again.leaked, again.clean], [corpus.leaked, corpus.clean]);
  const other = buildCorpus({ ...options, seed: 8 });
  assert.notDeepEqual(other.leaked, corpus.leaked);
  assert.equal(leakedDocument({ template: 't', problem: 'Q?', steps: '', answer: 3 }), 'Q?\n#### 3');
});
