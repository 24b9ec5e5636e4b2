/** Atomic writes, stale temporary files, output-location checks and the chunked line reader. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeStaleTemps, writeFileAtomic } from '../../src/util/atomic.ts';
import { UserError } from '../../src/util/errors.ts';
import { forEachLineSync } from '../../src/util/lines.ts';
import { checkOutputDir, checkOutputFile } from '../../src/util/output-path.ts';

const work = mkdtempSync(join(tmpdir(), 'rlvr-files-'));

test('writeFileAtomic onto a directory: a UserError naming the path, no temporary file left', () => {
  const dir = join(work, 'is-a-dir');
  mkdirSync(dir);
  assert.throws(() => writeFileAtomic(dir, 'x'), (err: Error) => err instanceof UserError && err.message.includes(dir) && /directory/.test(err.message));
  assert.deepEqual(readdirSync(work).filter((n) => n.endsWith('.tmp')), []);
});

test('writeFileAtomic under a path whose parent is a file: a UserError, nothing written', () => {
  const file = join(work, 'plain-file');
  writeFileSync(file, 'keep');
  assert.throws(() => writeFileAtomic(join(file, 'child.json'), 'x'), UserError);
  assert.equal(readFileSync(file, 'utf8'), 'keep');
});

test('writeFileAtomic from 200k lazily produced lines writes exactly their concatenation', () => {
  const path = join(work, 'lines.jsonl');
  const lines = Array.from({ length: 200_000 }, (_, i) => JSON.stringify({ i, s: 'é'.repeat(i % 7) }) + '\n');
  function* gen() {
    yield* lines;
  }
  writeFileAtomic(path, gen());
  assert.equal(readFileSync(path, 'utf8'), lines.join(''));
});

test('removeStaleTemps removes only the temporary files of processes that are gone', () => {
  const dir = join(work, 'stale');
  mkdirSync(dir);
  const dead = 'results.json.4194305.1700000000000.tmp'; // above Linux's pid_max: never a live process
  const live = `results.json.${process.pid}.1700000000000.tmp`;
  for (const name of [dead, live, 'notes.tmp', 'results.json']) writeFileSync(join(dir, name), '');
  assert.equal(removeStaleTemps(dir), 1);
  assert.deepEqual(readdirSync(dir).sort(), [live, 'notes.tmp', 'results.json'].sort());
});

test('output checks: a directory given as a file, a file given as a directory, a path under a file', () => {
  const file = join(work, 'out-file');
  writeFileSync(file, '');
  const dir = join(work, 'out-dir');
  mkdirSync(dir);
  assert.throws(() => checkOutputFile(dir, '--output'), /--output .* is a directory/);
  assert.throws(() => checkOutputDir(file, '--out'), /--out .* is a file, not a directory/);
  assert.throws(() => checkOutputDir(join(file, 'a', 'b'), '--out'), UserError);
  assert.throws(() => checkOutputFile(join(file, 'x.jsonl'), '--output'), UserError);
  checkOutputFile(join(dir, 'new', 'deeper', 'x.jsonl'), '--output');
  checkOutputFile(file, '--output');
  checkOutputDir(join(dir, 'new-run'), '--out');
  checkOutputDir(dir, '--out');
});

test('forEachLineSync: lines across 1 MiB chunk boundaries with multi-byte characters, a BOM, a torn last line', () => {
  const path = join(work, 'big.jsonl');
  const lines = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ i, t: '€ü漢'.repeat(1 + (i % 23)) }));
  const complete = '\ufeff' + lines.join('\n') + '\n';
  writeFileSync(path, complete + '{"torn": tr');
  const seen: string[] = [];
  const bytes = forEachLineSync(path, (text, n) => {
    assert.equal(n, seen.length + 1);
    seen.push(text);
  });
  assert.deepEqual(seen, lines);
  assert.equal(bytes, Buffer.byteLength(complete));
});
