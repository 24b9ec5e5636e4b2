/**
 * User mistakes and hostile environments at the CLI: output locations are checked before any
 * work, files and settings that cannot be read give one-line errors, a failed start leaves
 * nothing that blocks the corrected rerun, `--set` on resume is kept, and an evaluation against a
 * server refuses to mix two models served under one name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import type { Completion, Policy, SamplingParams } from '../../src/backends/policy.ts';
import { runEvaluation } from '../../src/eval/run.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { UserError } from '../../src/util/errors.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rlvr-hardening-'));
const model = join(work, 'model');
writeCharModelDir(model, { seed: 5, config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1 } });
const pairs = join(work, 'pairs.jsonl');
writeFileSync(pairs, '{"gold": "2", "pred": "\\\\boxed{2}"}\n');
const aFile = join(work, 'a-file');
writeFileSync(aFile, 'not a directory');
const aDir = join(work, 'a-dir');
mkdirSync(aDir);
const dataset = join(work, 'data.jsonl');
writeFileSync(dataset, '{"problem": "1+1", "answer": "2"}\n');

function cli(args: string[]) {
  return spawnSync(process.execPath, [rlvr, ...args], { encoding: 'utf8', timeout: 120_000 });
}

function assertUserError(r: ReturnType<typeof cli>, message: RegExp): void {
  assert.equal(r.status, 2, `exit ${r.status}; stderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
}

const tempFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

test('bad output locations are refused before any work, naming the flag and the path', () => {
  assertUserError(cli(['verify', '--input', pairs, '--output', aDir]), /--output .*a-dir is a directory/);
  assert.deepEqual(tempFiles(aDir), []);
  assertUserError(cli(['eval', '--dataset', dataset, '--model', model, '--out', aFile]), /--out .*a-file is a file, not a directory/);
  assertUserError(cli(['audit', 'contamination', '--model', model, '--dataset', dataset, '--out', aFile]), /--out .*a-file is a file/);
  assertUserError(cli(['audit', 'perplexity', '--models', model, '--dataset', dataset, '--out', join(aFile, 'x')]), /--out .*a-file/);
  assertUserError(cli(['gen-data', 'randomcalc', '--n', '2', '--seed', '1', '--out', aDir]), /--out .*is a directory/);
  const cfg = join(work, 'train-out.yaml');
  writeFileSync(cfg, YAML.stringify({ model, data: { train: { generator: 'arithmetic', n: 8, seed: 1 } }, rewards: [{ name: 'accuracy' }], train: { steps: 1, batch_size: 2 } }));
  assertUserError(cli(['train', '--config', cfg, '--out', aFile]), /--out .*a-file is a file/);
  assert.equal(readFileSync(aFile, 'utf8'), 'not a directory');
});

test('verify reads a JSONL file that starts with a UTF-8 byte order mark', () => {
  const bom = join(work, 'bom.jsonl');
  writeFileSync(bom, '\ufeff{"gold": "2", "pred": "\\\\boxed{2}"}\n');
  const r = cli(['verify', '--input', bom]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim()).correct, true);
});

test('train with a bad model path fails without creating the run, so the corrected rerun is not taken for a resume', () => {
  const out = join(work, 'bad-model-run');
  const cfg = join(work, 'bad-model.yaml');
  writeFileSync(cfg, YAML.stringify({ model: join(work, 'nope'), data: { train: { generator: 'arithmetic', n: 8, seed: 1 } }, rewards: [{ name: 'accuracy' }], train: { steps: 1, batch_size: 2 } }));
  for (let attempt = 0; attempt < 2; attempt++) {
    const r = cli(['train', '--config', cfg, '--out', out]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /nope/);
    assert.doesNotMatch(r.stderr, /already holds a run/);
  }
  assert.equal(existsSync(join(out, 'config.yaml')), false);
});

test('a corrupt progress.config.json is a one-line error naming the file', () => {
  const out = join(work, 'corrupt-eval');
  mkdirSync(out);
  writeFileSync(join(out, 'progress.config.json'), '{"model":');
  assertUserError(cli(['eval', '--dataset', dataset, '--model', model, '--template', 'none', '--max-new-tokens', '2', '--out', out]), /progress\.config\.json is corrupt/);
});

test('train --resume --set is saved: the next resume keeps the override', () => {
  const out = join(work, 'resume-set');
  const cfg = join(work, 'resume-set.yaml');
  writeFileSync(
    cfg,
    YAML.stringify({
      model,
      seed: 3,
      data: { train: { generator: 'arithmetic', n: 16, seed: 1 } },
      rewards: [{ name: 'accuracy', config: { extractors: 'gsm8k' } }],
      rollout: { n: 2, max_new_tokens: 4 },
      train: { steps: 2, batch_size: 2, micro_batch_size: 4 },
      checkpoint: { every: 1 },
    }),
  );
  const first = cli(['train', '--config', cfg, '--out', out, '--until-step', '1']);
  assert.equal(first.status, 0, first.stderr);
  const second = cli(['train', '--resume', out, '--set', 'train.steps=3', '--until-step', '2']);
  assert.equal(second.status, 0, second.stderr);
  const saved = YAML.parse(readFileSync(join(out, 'config.yaml'), 'utf8')) as { train: { steps: number } };
  assert.equal(saved.train.steps, 3);
  const overrides = readFileSync(join(out, 'overrides.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(overrides.map((o) => [o.step, o.set]), [[1, ['train.steps=3']]]);
  const third = cli(['train', '--resume', out]);
  assert.equal(third.status, 0, third.stderr);
  const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
  assert.deepEqual(steps, [1, 2, 3], 'the third run finished the 3 steps the override asked for');
});

/** A served model answering every prompt with `text`. */
function fakeServer(text: string): Policy {
  return {
    id: 'fake-server',
    async generate(prompts: string[], params: SamplingParams): Promise<Completion[]> {
      return prompts.flatMap((_, promptIndex) =>
        Array.from({ length: params.n }, (_, sampleIndex) => ({ promptIndex, sampleIndex, text, tokenIds: [], logprobs: null, finishReason: 'stop' as const })),
      );
    },
    async score() {
      throw new Error('not used');
    },
  };
}

test('eval resume against a server refuses a different model served under the same name', async () => {
  const out = join(work, 'probe-eval');
  const config = { dataset, template: 'none', extraction: 'answer', n: 1, temperature: 0, topP: 1, maxNewTokens: 4, seed: 0 };
  await runEvaluation({ policy: fakeServer('2'), model: 'served', probeModel: true, config, outDir: out, verifyThreads: 1 });
  await runEvaluation({ policy: fakeServer('2'), model: 'served', probeModel: true, config, outDir: out, verifyThreads: 1 });
  await assert.rejects(
    runEvaluation({ policy: fakeServer('3'), model: 'served', probeModel: true, config, outDir: out, verifyThreads: 1 }),
    (err: Error) => err instanceof UserError && /model_probe/.test(err.message),
  );
});
