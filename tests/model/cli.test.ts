import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { generateIds } from '../../src/model/generate.ts';
import { defaultSampling } from '../../src/backends/policy.ts';
import { fixtureModelDir } from '../helpers/model-dir.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;

test('rlvr generate --json and rlvr score agree with the library and with each other', async () => {
  const dir = fixtureModelDir('qwen2-tiny');
  const out = JSON.parse(execFileSync('node', [rlvr, 'generate', '--model', dir, '--prompt', 't5 t9 t3', '--max-new-tokens', '6', '--temperature', '0', '--json'], { encoding: 'utf8' }));
  const lm = CausalLM.load(dir);
  const [lib] = await generateIds(lm, [[5, 9, 3]], { ...defaultSampling, maxNewTokens: 6, temperature: 0 });
  assert.deepEqual(out.token_ids, lib.tokenIds);
  assert.equal(out.finish_reason, 'length');
  const work = mkdtempSync(join(tmpdir(), 'rlvr-score-'));
  writeFileSync(join(work, 'in.jsonl'), JSON.stringify({ prompt: 't5 t9 t3', completion: out.text }) + '\n');
  execFileSync('node', [rlvr, 'score', '--model', dir, '--input', join(work, 'in.jsonl'), '--output', join(work, 'out.jsonl')], { stdio: 'pipe' });
  const scored = JSON.parse(execFileSync('cat', [join(work, 'out.jsonl')], { encoding: 'utf8' }));
  assert.deepEqual(scored.prompt_token_ids, [5, 9, 3]);
  assert.deepEqual(scored.completion_token_ids, out.token_ids);
  scored.logprobs.forEach((lp: number, i: number) => assert.ok(Math.abs(lp - out.logprobs[i]) < 1e-4));
  assert.ok(Math.abs(scored.sum_logprob - out.logprobs.reduce((a: number, b: number) => a + b, 0)) < 1e-3);
});

test('rlvr generate --weights int8 decodes with the int8 projections, as the library does', async () => {
  const dir = fixtureModelDir('qwen2-tiny');
  const out = JSON.parse(execFileSync('node', [rlvr, 'generate', '--model', dir, '--weights', 'int8', '--prompt', 't5 t9 t3', '--max-new-tokens', '6', '--temperature', '0', '--json'], { encoding: 'utf8' }));
  const lm = CausalLM.load(dir, { weights: 'int8' });
  const [lib] = await generateIds(lm, [[5, 9, 3]], { ...defaultSampling, maxNewTokens: 6, temperature: 0 });
  assert.deepEqual(out.token_ids, lib.tokenIds);
  out.logprobs.forEach((lp: number, i: number) => assert.ok(Math.abs(lp - (lib.logprobs as number[])[i]) < 1e-5));
});

test('bad flags and files are one-line errors with exit code 2', () => {
  const dir = fixtureModelDir('llama-tiny');
  const cases: Array<[string[], RegExp]> = [
    [['generate', '--model', dir, '--prompt', 'x', '--temperature', '-1'], /--temperature must be a number ≥ 0, got '-1'/],
    [['generate', '--model', '/nonexistent/model', '--prompt', 'x'], /nonexistent\/model\/config.json/],
    [['generate', '--model', dir, '--prompt', 'x', '--weights', 'bf16'], /--weights.*bf16/],
    [['audit', 'contamination', '--dataset', 'math500', '--model', dir, '--weights', 'int4', '--out', join(mkdtempSync(join(tmpdir(), 'rlvr-probe-')), 'out')], /--weights.*int4/],
    [['score', '--model', dir, '--input', '/nonexistent.jsonl'], /\/nonexistent.jsonl: file not found/],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync('node', [rlvr, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
