import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUNDLED_ORGANISM_DIR } from '../../src/organism/index.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rlvr-interp-cli-'));
const leaked = join(BUNDLED_ORGANISM_DIR, 'leaked.jsonl');
const clean = join(BUNDLED_ORGANISM_DIR, 'clean.jsonl');

const run = (args: string[]) => spawnSync('node', [rlvr, 'interp', ...args], { encoding: 'utf8', env: { ...process.env, RLVR_THREADS: '1' } });

test('rlvr interp logit-lens on the organism writes logit_lens.jsonl (one row per answer token × layer × site), the summaries and a report', () => {
  const out = join(work, 'lens');
  const r = run(['logit-lens', '--model', BUNDLED_ORGANISM_DIR, '--dataset', leaked, '--dataset', clean, '--limit', '2', '--out', out, '--resamples', '50', '--top-k', '3']);
  assert.equal(r.status, 0, r.stderr);
  const rows = readFileSync(join(out, 'logit_lens.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const answers = [leaked, clean].flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').slice(0, 2).map((l) => JSON.parse(l).answer as string));
  // the organism's tokenizer is one character per token
  assert.equal(rows.length, answers.reduce((s, a) => s + a.length, 0) * 3 * 5);
  for (const key of ['id', 'layer', 'site', 'answer_logprob', 'answer_rank', 'top']) assert.ok(key in rows[0], key);
  const summary = JSON.parse(readFileSync(join(out, 'logit_lens.json'), 'utf8'));
  assert.equal(summary.schema, 'rlvr-interp/1');
  assert.equal(summary.items, 4);
  const jsd = JSON.parse(readFileSync(join(out, 'jsd.json'), 'utf8'));
  assert.equal(jsd.jsd.units, 'bits');
  assert.ok(existsSync(join(out, 'logit_lens.html')));
});

test('bad input is one line and exit 2: an unknown site, a missing model directory, probes without labels', () => {
  const bad = run(['patch', '--target', BUNDLED_ORGANISM_DIR, '--source', BUNDLED_ORGANISM_DIR, '--dataset', leaked, '--out', join(work, 'x'), '--sites', 'mlp_out,middle']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /--sites must be one of resid_pre, attn_out, mlp_out, resid_post, got 'middle'/);
  const missing = run(['steer', '--model', join(work, 'nope'), '--dataset', leaked, '--out', join(work, 'y')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--model .*nope: not a model directory/);
  const unlabeled = join(work, 'unlabeled.jsonl');
  writeFileSync(unlabeled, readFileSync(leaked, 'utf8').split('\n').slice(0, 6).map((l) => (l ? JSON.stringify({ ...JSON.parse(l), leaked: undefined }) : '')).join('\n'));
  const probe = run(['probe', '--model', BUNDLED_ORGANISM_DIR, '--dataset', unlabeled, '--out', join(work, 'z')]);
  assert.equal(probe.status, 2);
  assert.match(probe.stderr, /probes need a boolean `leaked` label/);
  assert.ok(!existsSync(join(work, 'z', 'probes.json')));
});
