import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type SamplesQuery, SamplesIndex } from '../../src/dashboard/samples-index.ts';
import {
  completionMatches,
  type CompletionFilter,
  type SampleGroup,
  toGroup,
} from '../../src/dashboard/sample-groups.ts';
import { writeSyntheticRun } from '../../src/dashboard/synthetic-run.ts';
import { writeEvalRun } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'rlvr-samples-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = join(dir, 'run');
writeSyntheticRun(run, { steps: 60, groupsPerStep: 3, groupSize: 4, seed: 5 });
const file = join(run, 'samples.jsonl');
const all = (): SampleGroup[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => toGroup('train', JSON.parse(l)));

/** The reference: every line parsed and filtered one by one. */
function reference(groups: SampleGroup[], q: Omit<SamplesQuery, 'order' | 'limit' | 'cursor'>): number[] {
  const f: CompletionFilter = q.filter;
  const anyFilter = f.correct !== undefined || f.finish !== undefined || f.component !== undefined;
  return groups
    .map((g, i) => ({ g, i }))
    .filter(
      ({ g }) =>
        (q.stepMin === undefined || g.step! >= q.stepMin) &&
        (q.stepMax === undefined || g.step! <= q.stepMax),
    )
    .filter(({ g }) => !anyFilter || g.completions.some((c) => completionMatches(c, f)))
    .filter(
      ({ g }) =>
        !q.text ||
        [g.id, g.prompt, g.gold ?? '', ...g.completions.map((c) => c.text)].some((s) =>
          s.toLowerCase().includes(q.text!.toLowerCase()),
        ),
    )
    .map(({ i }) => i);
}

/** Follows `next` cursors to the end; returns the line numbers in page order. */
function pageThrough(
  index: SamplesIndex,
  q: Omit<SamplesQuery, 'cursor'>,
): { lines: number[]; pages: number; totals: Array<number | null> } {
  const lines: number[] = [];
  const totals: Array<number | null> = [];
  let cursor: number | undefined;
  let pages = 0;
  for (;;) {
    const p = index.page({ ...q, cursor });
    pages++;
    totals.push(p.total);
    lines.push(...p.groups.map((g) => g.entry));
    assert.ok(p.groups.length <= q.limit);
    if (p.next === null) break;
    cursor = p.next;
  }
  return { lines, pages, totals };
}

const queries: Array<Omit<SamplesQuery, 'order' | 'limit' | 'cursor'>> = [
  { filter: {} },
  { filter: { correct: true } },
  { filter: { correct: false }, stepMin: 10, stepMax: 20 },
  { filter: { component: { name: 'boxed_format', positive: false } } },
  { filter: { finish: 'length' } },
  { filter: { correct: true, component: { name: 'boxed_format', positive: false } } },
  { filter: { correct: false, finish: 'length' }, stepMin: 30 },
  { filter: {}, text: 'WHAT IS 5' },
  { filter: { correct: true }, text: '\\boxed{1' },
  { filter: { component: { name: 'no_such_component', positive: true } } },
];

test('paging through every filter visits exactly the matching lines, in both orders', () => {
  const groups = all();
  assert.equal(groups.length, 180);
  const index = new SamplesIndex(file, 'train');
  index.update();
  for (const q of queries) {
    const want = reference(groups, q);
    const asc = pageThrough(index, { ...q, order: 'asc', limit: 7 });
    assert.deepEqual(asc.lines, want, JSON.stringify(q));
    const desc = pageThrough(index, { ...q, order: 'desc', limit: 7 });
    assert.deepEqual(desc.lines, [...want].reverse(), JSON.stringify(q));
    // the index alone decides single filters: the total is exact then, unknown otherwise
    const decided =
      !q.text &&
      [q.filter.correct, q.filter.finish, q.filter.component].filter((x) => x !== undefined).length <= 1;
    assert.deepEqual(new Set(asc.totals), new Set([decided ? want.length : null]), JSON.stringify(q));
  }
});

test('a page reads only its own lines when the index decides; groups come back whole', () => {
  const index = new SamplesIndex(file, 'train');
  index.update();
  const groups = all();
  const p = index.page({ order: 'desc', limit: 5, filter: { correct: true }, stepMin: 40 });
  assert.equal(p.read, 5, 'five candidates read for five groups');
  assert.deepEqual(p.steps, { min: 1, max: 60 });
  assert.deepEqual(p.components, ['accuracy', 'boxed_format']);
  for (const g of p.groups)
    assert.deepEqual(
      { ...g, entry: undefined, line: undefined },
      { ...groups[g.entry], entry: undefined, line: undefined },
    );
  assert.deepEqual(
    p.groups.map((g) => g.line),
    p.groups.map((g) => g.entry + 1),
    'one line per training group',
  );
});

test('appended lines are indexed without re-reading the file', () => {
  const index = new SamplesIndex(file, 'train');
  assert.equal(index.update(), 180);
  appendFileSync(
    file,
    JSON.stringify({
      step: 61,
      id: 'new',
      prompt: 'p',
      gold: '1',
      completions: [
        {
          text: 'zzz',
          reward: 1,
          components: { accuracy: 1 },
          correct: true,
          advantage: 0.5,
          finish_reason: 'stop',
        },
      ],
    }) +
      '\n' +
      '{"step": 62, "id": "tor',
  );
  assert.equal(index.update(), 1);
  const p = index.page({ order: 'desc', limit: 1, filter: {} });
  assert.equal(p.groups[0].id, 'new');
  assert.equal(p.lines, 181);
  assert.deepEqual(p.steps, { min: 1, max: 61 });
});

test('evaluation samples: the consecutive samples of an item form one group; wrong-shaped lines are reported', async () => {
  const e = join(dir, 'eval');
  await writeEvalRun(e, { items: 5, n: 3 });
  const index = new SamplesIndex(join(e, 'samples.jsonl'), 'eval');
  index.update();
  const records = readFileSync(join(e, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const all = index.page({ order: 'asc', limit: 100, filter: {} });
  assert.equal(all.lines, 5);
  assert.deepEqual(
    all.groups.map((g) => [g.id, g.line, g.completions.map((c) => c.text)]),
    [0, 1, 2, 3, 4].map((i) => [
      `math/${i}`,
      3 * i + 1,
      records.slice(3 * i, 3 * i + 3).map((r) => r.response),
    ]),
  );
  const p = index.page({ order: 'asc', limit: 100, filter: { correct: true } });
  const want = [...new Set(records.filter((r) => r.correct).map((r) => r.id))];
  assert.deepEqual(
    p.groups.map((g) => g.id),
    want,
  );
  assert.equal(p.total, want.length);
  assert.equal(
    p.groups[0].completions.find((c) => c.correct)?.extra?.extracted,
    records.find((r) => r.id === want[0] && r.correct).extracted,
  );
  assert.equal(p.steps, null);
  appendFileSync(join(e, 'samples.jsonl'), '{"id": "x"}\n');
  index.update();
  assert.deepEqual(index.errors, ['line 16: no "response" text']);
});
