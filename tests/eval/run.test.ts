import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAIPolicy } from '../../src/backends/openai.ts';
import type { Completion, Policy, SamplingParams } from '../../src/backends/policy.ts';
import { runEvaluation, sampleSeed, type EvalConfig } from '../../src/eval/run.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { BatchedEmbeddedPolicy } from '../../src/server/batched-policy.ts';
import { startModelServer } from '../../src/server/model-server.ts';
import { UserError } from '../../src/util/errors.ts';
import { VerifierPool } from '../../src/verify/pool.ts';
import { charModel, fields, plantedDataset, readResults, readSamples, tempDir } from './eval-fixtures.ts';

const modelDir = charModel();
const lm = CausalLM.load(modelDir);
const server = await startModelServer({ policy: new BatchedEmbeddedPolicy(lm), modelName: 'tiny' });
const verifier = new VerifierPool({ threads: 1 });
after(async () => {
  await server.close();
  await verifier.close();
});

const greedy = { temperature: 0, topP: 1, maxNewTokens: 16, seed: 3 };
const sampled = { temperature: 1, topP: 0.95, maxNewTokens: 16, seed: 9 };

function config(dataset: string, s: typeof greedy, n: number): EvalConfig {
  return { dataset, fields, template: 'none', extraction: 'answer', n, ...s };
}

for (const [label, s, n] of [
  ['greedy', greedy, 2],
  ['sampled (temperature 1, top-p 0.95)', sampled, 3],
] as const) {
  test(`${label}: embedded engine and serve-model + HTTP backend give identical samples and metrics`, async () => {
    const data = await plantedDataset(modelDir, 8, s);
    const embeddedOut = tempDir('eval-embedded');
    const httpOut = tempDir('eval-http');
    const http = new OpenAIPolicy({ baseURL: server.url, model: 'tiny', retry: { retries: 0 } });
    try {
      await runEvaluation({
        verifier,
        policy: new BatchedEmbeddedPolicy(lm),
        model: 'tiny',
        config: config(data.path, s, n),
        outDir: embeddedOut,
        concurrency: 4,
      });
      await runEvaluation({
        verifier,
        policy: http,
        model: 'tiny',
        config: config(data.path, s, n),
        outDir: httpOut,
        concurrency: 4,
      });
    } finally {
      http.close();
    }
    const samples = readSamples(embeddedOut);
    assert.deepEqual(readSamples(httpOut), samples);
    const a = readResults(embeddedOut);
    const b = readResults(httpOut);
    for (const key of ['metrics', 'breakdowns', 'counts']) assert.deepEqual(b[key], a[key], key);

    // independent checks of what was recorded
    assert.equal(samples.length, 8 * n);
    assert.deepEqual(
      samples.map((r) => [r.id, r.sample_index, r.seed]),
      data.rows.flatMap((row) =>
        Array.from({ length: n }, (_, i) => [row.id, i, sampleSeed(s.seed, row.id, i)]),
      ),
    );
    for (const id of data.planted)
      assert.equal(samples.find((r) => r.id === id && r.sample_index === 0)!.correct, true, id);
    const perItem = data.rows.map(
      (row) => samples.filter((r) => r.id === row.id).reduce((k, r) => k + Number(r.correct), 0) / n,
    );
    const metrics = a.metrics as Record<string, { value: number; ci: [number, number] }>;
    assert.ok(Math.abs(metrics['pass@1'].value - perItem.reduce((x, y) => x + y, 0) / 8) < 1e-12);
    assert.ok(metrics['pass@1'].value > 0);
    assert.ok(
      metrics['pass@1'].ci[0] <= metrics['pass@1'].value &&
        metrics['pass@1'].value <= metrics['pass@1'].ci[1],
    );
    assert.deepEqual(Object.keys(a.metrics as object).includes('greedy_accuracy'), s.temperature === 0);
    assert.deepEqual(Object.keys((a.breakdowns as { subject: object }).subject), ['algebra', 'geometry']);
    assert.deepEqual(Object.keys((a.breakdowns as { level: object }).level), ['1', '2']);
    const meanTokens = samples.reduce((k, r) => k + (r.response_tokens as number), 0) / samples.length;
    assert.ok(Math.abs(metrics.mean_response_tokens.value - meanTokens) < 1e-9);
  });
}

/** Counts what is asked; fails every call after `failAfter` calls (a crash mid-evaluation). */
class CountingPolicy implements Policy {
  readonly id = 'counting';
  readonly asked: string[] = [];
  constructor(
    private readonly inner: Policy,
    private readonly failAfter = Infinity,
  ) {}
  async generate(prompts: string[], params: SamplingParams): Promise<Completion[]> {
    if (this.asked.length >= this.failAfter) throw new Error('simulated crash');
    this.asked.push(...prompts.map((p) => JSON.stringify([p, params.seed])));
    return this.inner.generate(prompts, params);
  }
  score(): never {
    throw new Error('not used');
  }
}

test('resume: an evaluation that dies midway continues without asking a recorded sample again and ends identical', async () => {
  const data = await plantedDataset(modelDir, 6, sampled);
  const cfg = config(data.path, sampled, 3);
  const whole = tempDir('eval-whole');
  await runEvaluation({
    verifier,
    policy: new BatchedEmbeddedPolicy(lm),
    model: 'tiny',
    config: cfg,
    outDir: whole,
    concurrency: 2,
  });

  const out = tempDir('eval-resume');
  const crashing = new CountingPolicy(new BatchedEmbeddedPolicy(lm), 7);
  await assert.rejects(
    runEvaluation({ verifier, policy: crashing, model: 'tiny', config: cfg, outDir: out, concurrency: 2 }),
    /simulated crash/,
  );
  const recorded = readFileSync(join(out, 'progress.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).value);
  assert.equal(recorded.length, 7);
  // a crash in the middle of an append leaves a torn last line
  writeFileSync(
    join(out, 'progress.jsonl'),
    readFileSync(join(out, 'progress.jsonl'), 'utf8') + '{"key":"[\\"item-5\\",2]","value":{"id":"it',
  );

  const counting = new CountingPolicy(new BatchedEmbeddedPolicy(lm));
  const results = await runEvaluation({
    verifier,
    policy: counting,
    model: 'tiny',
    config: cfg,
    outDir: out,
    concurrency: 2,
  });
  const recordedKeys = new Set(recorded.map((r) => JSON.stringify([r.prompt, r.seed])));
  assert.equal(counting.asked.length, 18 - 7);
  assert.equal(new Set(counting.asked).size, counting.asked.length);
  for (const key of counting.asked) assert.ok(!recordedKeys.has(key), `asked again: ${key}`);
  assert.equal(results.timing.samples_resumed, 7);
  assert.deepEqual(readSamples(out), readSamples(whole));
  assert.deepEqual({ ...readResults(out), config: null }, { ...readResults(whole), config: null });
});

test('a rerun with different settings in the same --out is refused, naming the setting', async () => {
  const data = await plantedDataset(modelDir, 2, greedy);
  const out = tempDir('eval-settings');
  await runEvaluation({
    verifier,
    policy: new BatchedEmbeddedPolicy(lm),
    model: 'tiny',
    config: config(data.path, greedy, 1),
    outDir: out,
  });
  await assert.rejects(
    runEvaluation({
      verifier,
      policy: new BatchedEmbeddedPolicy(lm),
      model: 'tiny',
      config: config(data.path, { ...greedy, temperature: 0.5 }, 1),
      outDir: out,
    }),
    (err: Error) => err instanceof UserError && /temperature = 0, not 0.5/.test(err.message),
  );
});

const never: Policy = {
  id: 'never',
  generate: () => Promise.reject(new Error('must not be asked')),
  score: () => Promise.reject(new Error('must not be asked')),
};

test('bad input: UserErrors naming the file, line, field or value', async () => {
  const dir = tempDir('eval-bad');
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const good = JSON.stringify({ problem: 'p', answer: '1' }) + '\n';
  const cases: Array<[Partial<EvalConfig>, RegExp]> = [
    [
      { dataset: file('missing.jsonl', good + JSON.stringify({ problem: 'p' }) + '\n') },
      /missing\.jsonl:2: missing field 'answer'/,
    ],
    [{ dataset: file('empty.jsonl', '') }, /empty\.jsonl: empty file/],
    [{ dataset: file('torn.jsonl', good + good + '{"problem": "p", \n') }, /torn\.jsonl:3: malformed JSON/],
    [{ dataset: file('ok.jsonl', good), template: 'socratic' }, /unknown prompt template 'socratic'/],
    [{ dataset: 'math501' }, /unknown dataset 'math501'/],
    [{ dataset: file('ok2.jsonl', good), fields: { problemField: 'question' } }, /missing field 'question'/],
    [{ dataset: file('ok3.jsonl', good), extraction: 'boxed,regex' }, /'regex' is neither a preset/],
    [{ dataset: file('ok4.jsonl', good), n: 0 }, /--n must be a positive integer/],
    [{ dataset: join(dir, 'nope.jsonl') }, /nope\.jsonl: file not found/],
  ];
  for (const [override, message] of cases) {
    const cfg: EvalConfig = { dataset: '', template: 'none', n: 1, ...greedy, ...override };
    await assert.rejects(
      runEvaluation({
        verifier,
        policy: never,
        model: 'never',
        config: cfg,
        outDir: tempDir('eval-bad-out'),
      }),
      (err: Error) => err instanceof UserError && message.test(err.message),
      String(message),
    );
  }
});
