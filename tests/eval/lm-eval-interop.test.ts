import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dateId, exportLmEval, pythonJsonDumps, sanitizeModelName } from '../../src/eval/lm-eval-export.ts';
import { importLmEvalSamples } from '../../src/eval/lm-eval-import.ts';
import { EXTRACTION_PRESETS } from '../../src/verify/extract.ts';
import { UserError } from '../../src/util/errors.ts';

const fixtures = fileURLToPath(new URL('../fixtures/lm-eval/', import.meta.url));
const GSM8K = join(fixtures, 'samples_gsm8k_2026-08-21T10-00-00.000000.jsonl');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test("doc_hash: Python's json.dumps(indent=2) reproduced byte for byte (reference hashes made by Python)", () => {
  const refs = JSON.parse(readFileSync(join(fixtures, 'doc-hashes.json'), 'utf8')) as Array<{ doc: unknown; doc_hash: string }>;
  for (const r of refs) assert.equal(sha(pythonJsonDumps(r.doc)), r.doc_hash);
  // lm-eval's own samples lines carry the same hash of their doc
  const line = JSON.parse(readFileSync(GSM8K, 'utf8').split('\n')[0]) as { doc: unknown; doc_hash: string; prompt_hash: string; arguments: { gen_args_0: { arg_0: string } } };
  assert.equal(sha(pythonJsonDumps(line.doc)), line.doc_hash);
  assert.equal(sha(line.arguments.gen_args_0.arg_0), line.prompt_hash);
  assert.equal(sanitizeModelName('org/model:v1 [x]'), 'org__model__v1 __x__');
  assert.equal(dateId(new Date('2026-11-29T20:01:02.345Z')), '2026-11-29T20-01-02.345000');
});

/** An rlvr eval output directory: 3 items × 2 samples, correctness (1,1), (1,0), (0,0). */
function evalDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-lmeval-'));
  const correct = [
    [true, true],
    [true, false],
    [false, false],
  ];
  const samples = correct.flatMap((cs, t) =>
    cs.map((c, i) => ({ id: `math500/${t}`, sample_index: i, seed: 1, prompt: `Problem ${t}`, gold: String(t + 1), response: `\\boxed{${c ? t + 1 : 99}}`, extracted: String(c ? t + 1 : 99), correct: c, format_ok: t !== 2 || i === 0, verify_reason: 'x', response_tokens: 5, finish_reason: 'stop' })),
  );
  writeFileSync(join(dir, 'samples.jsonl'), samples.map((s) => JSON.stringify(s) + '\n').join(''));
  const config = { model: 'Qwen/Qwen2.5-Math-1.5B', dataset: '/data/math500.jsonl', dataset_name: 'math500', backend: 'openai', n: 2, seed: 0, temperature: 0.6, top_p: 0.95, max_new_tokens: 512, stop: [], limit: null };
  writeFileSync(join(dir, 'results.json'), JSON.stringify({ schema: 'rlvr-eval/1', config, counts: { items: 3 }, timing: { wall_s: 12.5, finished_at: '2026-11-29T20:00:00.000Z' } }));
  return dir;
}

test('--export lm-eval: results_<date>.json and samples_<task>_<date>.jsonl in lm-eval schema, values computed by hand', async () => {
  const dir = evalDir();
  const e = await exportLmEval(dir, undefined, new Date('2026-11-29T21:00:00.000Z'));
  assert.equal(e.resultsPath, join(dir, 'lm-eval', 'Qwen__Qwen2.5-Math-1.5B', 'results_2026-11-29T21-00-00.000000.json'));
  assert.equal(e.samplesPath, join(dir, 'lm-eval', 'Qwen__Qwen2.5-Math-1.5B', 'samples_math500_2026-11-29T21-00-00.000000.jsonl'));
  const r = JSON.parse(readFileSync(e.resultsPath, 'utf8'));
  const t = r.results.math500;
  // per-doc exact_match 1, 0.5, 0: mean 0.5, sample sd 0.5, stderr 0.5/√3
  assert.equal(t['exact_match,none'], 0.5);
  assert.ok(Math.abs(t['exact_match_stderr,none'] - 0.5 / Math.sqrt(3)) < 1e-12);
  // pass@2 per doc 1, 1, 0
  assert.ok(Math.abs(t['pass@2,none'] - 2 / 3) < 1e-12);
  // format_rate per doc 1, 1, 0.5
  assert.ok(Math.abs(t['format_rate,none'] - 2.5 / 3) < 1e-12);
  assert.deepEqual([t.alias, t.name, t.sample_len], ['math500', 'math500', 3]);
  assert.deepEqual(r['n-samples'].math500, { original: 3, effective: 3 });
  assert.equal(r.model_name_sanitized, 'Qwen__Qwen2.5-Math-1.5B');
  assert.equal(r.date, Date.parse('2026-11-29T20:00:00Z') / 1000);
  assert.equal(r.total_evaluation_time_seconds, '12.5');
  const lines = readFileSync(e.samplesPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[1].resps, [['\\boxed{2}', '\\boxed{99}']]);
  assert.deepEqual([lines[1].doc_id, lines[1].target, lines[1].filter, lines[1].exact_match, lines[1]['pass@2']], [1, '2', 'none', 0.5, 1]);
  assert.deepEqual(lines[1].metrics, ['exact_match', 'pass@2', 'format_rate']);
  assert.equal(lines[1].arguments.gen_args_0.arg_0, 'Problem 1');
  assert.equal(lines[1].doc_hash, sha(pythonJsonDumps(lines[1].doc)));
  assert.equal(lines[1].prompt_hash, sha('Problem 1'));
  assert.equal(lines[1].target_hash, sha('2'));
  assert.equal(r.task_hashes.math500, sha(lines.map((l) => l.doc_hash + l.prompt_hash + l.target_hash).join('')));
});

test('--export lm-eval: a malformed or foreign samples.jsonl line is a UserError naming the file and line, and nothing is written', async () => {
  for (const [bad, message] of [
    ['{"id": "x", "sample_index": 0', /samples\.jsonl:2: malformed JSON/],
    ['{"doc_id": 3}', /samples\.jsonl:2: not an rlvr eval sample/],
  ] as const) {
    const dir = evalDir();
    const first = readFileSync(join(dir, 'samples.jsonl'), 'utf8').split('\n')[0];
    writeFileSync(join(dir, 'samples.jsonl'), `${first}\n${bad}\n`);
    await assert.rejects(exportLmEval(dir), (err: Error) => err instanceof UserError && message.test(err.message));
    assert.deepEqual(readdirSync(dir).sort(), ['results.json', 'samples.jsonl']);
  }
});

test('--import-samples re-grades an lm-eval gsm8k samples file and lists the disagreements', async () => {
  const report = await importLmEvalSamples(GSM8K, { extractors: EXTRACTION_PRESETS.gsm8k, threads: 1 });
  // by hand: lm-eval strict-match misses "The answer is 7." and "#### 4.50"; flexible-extract misses 4.50
  assert.deepEqual(
    [report.lines, report.metric, report.lm_eval_correct, report.ours_correct, report.agree, report.only_lm_eval, report.only_ours],
    [8, 'exact_match', 3, 6, 5, 0, 3],
  );
  assert.deepEqual(
    report.disagreements.map((d) => [d.doc_id, d.filter, d.ours.extracted]),
    [
      [0, 'strict-match', '7'],
      [3, 'strict-match', '4.50'],
      [3, 'flexible-extract', '4.50'],
    ],
  );
  // the export of our own evaluation re-grades without disagreement
  const dir = evalDir();
  const back = await importLmEvalSamples((await exportLmEval(dir)).samplesPath, { extractors: EXTRACTION_PRESETS.math, threads: 1 });
  // docs at exact_match 1, 0.5, 0 count as right, right, wrong (≥ 0.5), as do their first samples
  assert.deepEqual([back.lines, back.agree, back.lm_eval_correct, back.ours_correct], [3, 3, 2, 2]);
});

test('--import-samples: a line that is not an lm-eval sample is named; the CLI writes the report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-lmeval-bad-'));
  const bad = join(dir, 'samples_x.jsonl');
  writeFileSync(bad, readFileSync(GSM8K, 'utf8').split('\n')[0] + '\n{"doc_id": 1, "target": "3"}\n');
  await assert.rejects(importLmEvalSamples(bad, { extractors: EXTRACTION_PRESETS.gsm8k }), (e: Error) => e instanceof UserError && /samples_x.jsonl:2: not an lm-eval sample line/.test(e.message));
  mkdirSync(join(dir, 'out'));
  const rlvr = fileURLToPath(new URL('../../bin/rlvr.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [rlvr, 'eval', '--import-samples', GSM8K, '--extraction', 'gsm8k', '--verify-threads', '1', '--out', join(dir, 'out', 'report.json')]);
  assert.match(stdout, /8 samples: lm-eval exact_match 3 correct, our verifier 6; agree on 5, disagree on 3/);
  assert.match(stdout, /doc 0 \[strict-match\] we: correct, lm-eval: wrong/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')).disagreements.length, 3);
  assert.deepEqual(readdirSync(join(dir, 'out')), ['report.json']);
});
