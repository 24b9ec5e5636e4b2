import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAIPolicy } from '../../src/backends/openai.ts';
import type { Completion, SamplingParams } from '../../src/backends/policy.ts';
import { PROBE_PROMPT, runEvaluation } from '../../src/eval/run.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { BatchedEmbeddedPolicy } from '../../src/server/batched-policy.ts';
import { startModelServer } from '../../src/server/model-server.ts';
import { charModel, plantedDataset, readResults, readSamples, tempDir } from './eval-fixtures.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const modelDir = charModel();

/** The server's policy, counting each (prompt, seed) it is asked for and answering slowly enough to be interrupted. */
class SlowCountingPolicy extends BatchedEmbeddedPolicy {
  readonly asked: string[] = [];
  override async generateTokens(
    prompts: ReadonlyArray<readonly number[]>,
    params: SamplingParams,
  ): Promise<Completion[]> {
    for (const p of prompts) this.asked.push(JSON.stringify([this.lm.tokenizer.decode([...p]), params.seed]));
    await new Promise((r) => setTimeout(r, 40));
    return super.generateTokens(prompts, params);
  }
}

const policy = new SlowCountingPolicy(CausalLM.load(modelDir));
const server = await startModelServer({ policy, modelName: 'tiny' });
after(() => server.close());

const sampling = { temperature: 1, topP: 0.95, maxNewTokens: 16, seed: 9 };

function evalArgs(dataset: string, out: string): string[] {
  return [
    rlvr,
    'eval',
    '--dataset',
    dataset,
    '--id-field',
    'id',
    '--base-url',
    server.url,
    '--model-name',
    'tiny',
    '--template',
    'none',
    '--extraction',
    'answer',
    '--n',
    '3',
    '--temperature',
    '1',
    '--top-p',
    '0.95',
    '--max-new-tokens',
    '16',
    '--seed',
    '9',
    '--concurrency',
    '2',
    '--verify-threads',
    '1',
    '--out',
    out,
  ];
}

/** Runs the CLI without blocking this process, which hosts the server the CLI talks to. */
function runCli(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

const progressLines = (out: string) => {
  const path = join(out, 'progress.jsonl');
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
    : [];
};

test('rlvr eval killed with SIGKILL midway resumes without asking a recorded sample again and ends identical', async () => {
  const data = await plantedDataset(modelDir, 8, sampling);
  const out = tempDir('eval-kill');
  const child = spawn(process.execPath, evalArgs(data.path, out), { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  while (progressLines(out).length < 6 && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await exited;
  const recorded = progressLines(out).map((l) => JSON.parse(l).value as { prompt: string; seed: number });
  assert.ok(recorded.length >= 6 && recorded.length < 24, `killed after ${recorded.length} of 24 samples`);
  const recordedKeys = new Set(recorded.map((r) => JSON.stringify([r.prompt, r.seed])));

  policy.asked.length = 0;
  const rerun = await runCli(evalArgs(data.path, out));
  assert.equal(rerun.status, 0, rerun.stderr);
  const probes = policy.asked.filter((key) => JSON.parse(key)[0] === PROBE_PROMPT);
  assert.equal(probes.length, 1, 'the served model is identified by one probe request');
  const asked = policy.asked.filter((key) => JSON.parse(key)[0] !== PROBE_PROMPT);
  assert.equal(asked.length, 24 - recorded.length);
  assert.equal(new Set(asked).size, asked.length);
  for (const key of asked) assert.ok(!recordedKeys.has(key), `asked again: ${key}`);

  const whole = tempDir('eval-whole-http');
  const http = new OpenAIPolicy({ baseURL: server.url, model: 'tiny', retry: { retries: 0 } });
  try {
    const config = {
      dataset: data.path,
      fields: { idField: 'id' },
      template: 'none',
      extraction: 'answer',
      n: 3,
      ...sampling,
    };
    await runEvaluation({ policy: http, model: 'tiny', probeModel: true, config, outDir: whole, verifyThreads: 1 });
  } finally {
    http.close();
  }
  assert.deepEqual(readSamples(out), readSamples(whole));
  assert.deepEqual(readResults(out), readResults(whole));
});

test('rlvr eval reports bad input in one line without a stack trace', async () => {
  const dir = tempDir('eval-cli-bad');
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, JSON.stringify({ problem: 'p', answer: '1' }) + '\n{"problem": "q", "answer": \n');
  const cases: Array<[string[], RegExp]> = [
    [['--dataset', bad, '--model', modelDir, '--out', join(dir, 'o1')], /bad\.jsonl:2: malformed JSON/],
    [
      ['--dataset', bad, '--model', modelDir, '--base-url', server.url, '--out', join(dir, 'o2')],
      /either --model DIR .* or --base-url URL/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli([rlvr, 'eval', ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('rlvr eval --weights int8 is recorded with the settings: results.json says int8, an fp32 resume into the same directory is refused, a server refuses it', async () => {
  const organism = new URL('../../assets/organism/', import.meta.url).pathname;
  const out = join(tempDir('eval-int8'), 'out');
  const args = (weights: string) => [rlvr, 'eval', '--dataset', join(organism, 'clean.jsonl'), '--model', organism, '--weights', weights, '--limit', '2', '--template', 'none', '--max-new-tokens', '8', '--verify-threads', '1', '--out', out];
  const first = await runCli(args('int8'));
  assert.equal(first.status, 0, first.stderr);
  assert.equal((readResults(out).config as { weights?: string }).weights, 'int8');
  const again = await runCli(args('fp32'));
  assert.equal(again.status, 2, again.stderr);
  assert.match(again.stderr, /made with weights = "int8", not \(unset\)/);
  const served = await runCli([rlvr, 'eval', '--dataset', join(organism, 'clean.jsonl'), '--base-url', server.url, '--model-name', 'tiny', '--weights', 'int8', '--out', join(tempDir('eval-int8-served'), 'out')]);
  assert.equal(served.status, 2, served.stderr);
  assert.match(served.stderr, /--weights int8 applies to the embedded engine/);
});
