import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const BIN = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const run = (args: string[]) => spawnSync(process.execPath, [BIN, 'verify', ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'rlvr-verify-'));

test('rlvr verify --input/--output: each line gets correct, extracted and reason; exit 0', () => {
  const input = join(dir, 'pairs.jsonl');
  const output = join(dir, 'out.jsonl');
  const rows = [
    { gold: '\\frac{14}{3}', pred: 'so $\\boxed{\\dfrac{14}{3}}$', id: 'a' },
    { gold: '1728', pred: '1331 and 1728', id: 'b' },
    { gold: '27.0', pred: '27', id: 'c' },
  ];
  writeFileSync(input, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = run(['--input', input, '--output', output]);
  assert.equal(r.status, 0, r.stderr);
  const out = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(out.map((o) => [o.id, o.correct, o.extracted]), [
    ['a', true, '\\dfrac{14}{3}'],
    ['b', false, '1331 and 1728'],
    ['c', true, '27'],
  ]);
  for (const o of out) assert.equal(typeof o.reason, 'string');
});

test('rlvr verify --gold --pred prints one JSON verdict', () => {
  const r = run(['--gold', '[1,5)', '--pred', '[1,5]']);
  assert.equal(r.status, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assert.equal(v.correct, false);
  assert.match(v.reason, /brackets/);
});

test('a malformed line is a clear error naming the file and line, without a stack trace', () => {
  const input = join(dir, 'bad.jsonl');
  writeFileSync(input, '{"gold": "1", "pred": "1"}\n{"gold": "2"}\n');
  const r = run(['--input', input]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`${input.replace(/[.]/g, '\\.')}:2: field "pred" must be a string`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  writeFileSync(input, '{"gold": "1", "pred": "1"}\n\n{oops\n');
  assert.match(run(['--input', input]).stderr, /bad\.jsonl:3: not valid JSON/);
});
