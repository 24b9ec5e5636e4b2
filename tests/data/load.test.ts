import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastBoxedContent } from '../../src/data/boxed.ts';
import { loadDataset, resolveDataset } from '../../src/data/load.ts';
import { UserError } from '../../src/util/errors.ts';

test('the six real benchmark files load with their published row counts and unique ids', async () => {
  const expected: Record<string, number> = { math500: 500, aime24: 30, amc23: 40, gsm8k: 1319, minerva_math: 272, olympiadbench: 675 };
  for (const [name, rows] of Object.entries(expected)) {
    const items = await loadDataset(name);
    assert.equal(items.length, rows, name);
    assert.equal(new Set(items.map((i) => i.id)).size, rows, `${name} ids unique`);
    for (const item of items) {
      assert.ok(item.problem.length > 0, `${item.id} problem`);
      assert.ok(item.answer.length > 0, `${item.id} answer`);
    }
  }
});

test('math500: row-index ids, answer, subject and level as in the file', async () => {
  const items = await loadDataset('math500');
  assert.equal(items[0].id, 'math500/0');
  assert.equal(items[499].id, 'math500/499');
  assert.equal(items[0].answer, '\\left( 3, \\frac{\\pi}{2} \\right)');
  assert.equal(items[0].subject, 'Precalculus');
  assert.equal(items[0].level, 2);
  assert.ok(items[0].problem.startsWith('Convert the point $(0,3)$ in rectangular coordinates'));
});

test('amc23 keeps the source text of float answers and exposes the number', async () => {
  const items = await loadDataset('amc23');
  assert.equal(items[0].id, 'amc23/0');
  assert.equal(items[0].answer, '27.0');
  assert.equal(items[0].meta.answerNumber, 27);
  const negative = items.find((i) => i.id === 'amc23/17');
  assert.equal(negative?.answer, '-1.0');
});

test('gsm8k gold is the integer after ####, thousands separators removed', async () => {
  const items = await loadDataset('gsm8k');
  assert.equal(items[0].id, 'gsm8k/0');
  assert.equal(items[0].answer, '18');
  assert.equal(items[146].answer, '2125'); // source: "#### 2,125"
  assert.equal(items[489].answer, '-10');
  assert.ok(items.every((i) => /^-?\d+$/.test(i.answer)));
});

test('minerva_math gold is the last \\boxed{} of the solution, nested braces kept', async () => {
  const items = await loadDataset('minerva_math');
  assert.equal(items[0].answer, '1.6');
  assert.equal(items[0].subject, 'Introduction to Astronomy (8.282J Spring 2006)');
  assert.equal(items[30].answer, '\\sqrt{4 \\pi G \\rho_{0} r_{0}^{2}}');
  assert.equal(items[35].answer, '\\arcsin{1.3 \\sin{\\theta_w}}');
});

test('aime24 and olympiadbench map ids, answers, units and the multiple-answer flag', async () => {
  const aime = await loadDataset('aime24');
  assert.equal(aime[0].id, 'aime24/60');
  assert.equal(aime[0].answer, '204');
  const olympiad = await loadDataset('olympiadbench');
  assert.equal(olympiad[0].id, 'olympiadbench/1606');
  assert.equal(olympiad[0].answer, '2');
  assert.equal(olympiad[0].subject, 'Combinatorics');
  assert.deepEqual(olympiad[0].meta.finalAnswer, ['2']);
  assert.equal(olympiad[0].meta.isMultipleAnswer, false);
  const withUnit = olympiad.find((i) => i.id === 'olympiadbench/2334');
  assert.equal(withUnit?.answer, '$\\frac{41}{12}$');
  assert.equal(withUnit?.meta.unit, 'km');
  assert.equal(olympiad.filter((i) => i.meta.isMultipleAnswer === true).length, 94);
});

const dir = mkdtempSync(join(tmpdir(), 'rlvr-data-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function userError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('generic JSONL with a field mapping; numbers keep their source text; default ids are name/row', async () => {
  const path = file('custom.jsonl', '{"q":"1+1?","a":2.50,"k":"x1"}\n\n{"q":"2+2?","a":"4","k":"x2"}\n');
  const byId = await loadDataset(path, { fields: { problemField: 'q', answerField: 'a', idField: 'k' } });
  assert.deepEqual(
    byId.map((i) => [i.id, i.problem, i.answer]),
    [
      ['x1', '1+1?', '2.50'],
      ['x2', '2+2?', '4'],
    ],
  );
  const byRow = await loadDataset(path, { fields: { problemField: 'q', answerField: 'a' } });
  assert.deepEqual(byRow.map((i) => i.id), ['custom/0', 'custom/1']);
});

test('a path can be read with a named benchmark format', async () => {
  const path = file('tiny-gsm.jsonl', '{"question":"q","answer":"so\\n#### 1,000","idx":7}\n');
  const items = await loadDataset(path, { format: 'gsm8k' });
  assert.equal(items[0].id, 'gsm8k/7');
  assert.equal(items[0].answer, '1000');
});

test('bad input: missing file, empty file, missing field, malformed line, duplicate id, unknown name', async () => {
  await userError(loadDataset(join(dir, 'nope.jsonl')), /nope\.jsonl: file not found/);
  await userError(loadDataset(file('empty.jsonl', '\n  \n')), /empty\.jsonl: empty file/);
  const missing = file('missing.jsonl', '{"problem":"p","answer":"1"}\n{"problem":"p2"}\n');
  await userError(loadDataset(missing), /missing\.jsonl:2: missing field 'answer'/);
  const malformed = file('bad.jsonl', '{"problem":"p","answer":"1"}\n{"problem":"p2","answer":\n');
  await userError(loadDataset(malformed), /bad\.jsonl:2: malformed JSON/);
  await userError(loadDataset(file('arr.jsonl', '[1,2]\n')), /arr\.jsonl:1: expected a JSON object/);
  await userError(loadDataset(file('obj.jsonl', '{"problem":"p","answer":{"x":1}}\n')), /obj\.jsonl:1: field 'answer' must be a string or a number/);
  const dup = file('dup.jsonl', '{"problem":"p","answer":"1","id":1}\n{"problem":"p","answer":"1","id":1}\n');
  await userError(loadDataset(dup, { fields: { idField: 'id' } }), /dup\.jsonl:2: duplicate id '1' \(first at line 1\)/);
  assert.throws(() => resolveDataset('math5000'), /unknown dataset 'math5000'.*math500, aime24/);
  assert.throws(() => resolveDataset('x.jsonl', { format: 'nope' }), /unknown dataset format 'nope'/);
  await userError(loadDataset(file('gsmbad.jsonl', '{"question":"q","answer":"#### 1.5","idx":0}\n'), { format: 'gsm8k' }), /gsmbad\.jsonl:1: .*not an integer/);
});

test('named benchmarks honour a data directory override', async () => {
  file('math500.jsonl', '{"problem":"p","solution":"s","answer":"a","subject":"S","level":1}\n');
  const items = await loadDataset('math500', { dataDir: dir });
  assert.equal(items.length, 1);
  assert.equal(items[0].id, 'math500/0');
});

test('the \\boxed{} reader recovers every MATH-500 reference answer from its solution', async () => {
  const items = await loadDataset('math500');
  const mismatches = items.filter((i) => lastBoxedContent(i.meta.solution as string) !== i.answer).map((i) => i.id);
  assert.deepEqual(mismatches, []);
});
