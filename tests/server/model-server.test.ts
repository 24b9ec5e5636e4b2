import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EmbeddedPolicy } from '../../src/backends/embedded.ts';
import { OpenAIPolicy } from '../../src/backends/openai.ts';
import { defaultSampling, type SamplingParams } from '../../src/backends/policy.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { BatchedEmbeddedPolicy } from '../../src/server/batched-policy.ts';
import { startModelServer } from '../../src/server/model-server.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const modelDir = mkdtempSync(join(tmpdir(), 'rlvr-serve-'));
writeCharModelDir(modelDir, { seed: 11 });
const lm = CausalLM.load(modelDir);
const reference = new EmbeddedPolicy(lm);
const policy = new BatchedEmbeddedPolicy(lm, { maxBatch: 16 });
const server = await startModelServer({ policy, modelName: 'tiny' });
after(() => server.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
async function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const sampled: SamplingParams = {
  ...defaultSampling,
  temperature: 1,
  topP: 0.9,
  topK: 40,
  maxNewTokens: 12,
  seed: 7,
  // two prompts × 2: four rows, a power of two, so the server's batch has the reference's shape
  n: 2,
};

test('GET /v1/models lists the served name', async () => {
  const res = await fetch(server.url + '/models');
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: Array<{ id: string; object: string }> };
  assert.deepEqual(
    body.data.map((m) => [m.id, m.object]),
    [['tiny', 'model']],
  );
});

test('completions: choice k of prompt j with seed s is the embedded engine row (j, k) of generate(prompts, {seed: s, n})', async () => {
  const prompts = ['1+1=', 'The answer is'];
  const want = await reference.generate(prompts, sampled);
  const { status, json } = await post('/completions', {
    model: 'tiny',
    prompt: prompts,
    n: 2,
    max_tokens: 12,
    temperature: 1,
    top_p: 0.9,
    top_k: 40,
    seed: 7,
    logprobs: 0,
    return_tokens_as_token_ids: true,
  });
  assert.equal(status, 200);
  assert.equal(json.object, 'text_completion');
  assert.equal(json.choices.length, 4);
  want.forEach((c, i) => {
    const choice = json.choices[i];
    assert.equal(choice.index, i);
    assert.equal(choice.text, c.text);
    assert.equal(choice.finish_reason, c.finishReason);
    assert.deepEqual(
      choice.logprobs.tokens,
      c.tokenIds.map((id) => `token_id:${id}`),
    );
    assert.deepEqual(choice.logprobs.token_logprobs, c.logprobs);
    assert.equal(choice.logprobs.top_logprobs, null);
  });
  const completionTokens = want.reduce((n, c) => n + c.tokenIds.length, 0);
  assert.deepEqual(json.usage, {
    prompt_tokens: 4 + 13,
    completion_tokens: completionTokens,
    total_tokens: 17 + completionTokens,
  });
});

test('completions: token texts concatenate to the text and text_offset counts characters', async () => {
  const { json } = await post('/completions', {
    prompt: 'abc',
    max_tokens: 10,
    temperature: 1,
    seed: 3,
    logprobs: 1,
  });
  const lp = json.choices[0].logprobs;
  assert.equal(lp.tokens.join(''), json.choices[0].text);
  let at = 0;
  lp.tokens.forEach((t: string, i: number) => {
    assert.equal(lp.text_offset[i], at);
    at += t.length;
  });
});

test('concurrent single-sample requests are batched and each equals its own unbatched generation', async () => {
  const before = { ...policy.batcher.stats };
  const seeds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const results = await Promise.all(
    seeds.map((seed) =>
      post('/completions', {
        prompt: `q${seed}`,
        max_tokens: 8,
        temperature: 0.8,
        seed,
        return_tokens_as_token_ids: true,
        logprobs: 0,
      }),
    ),
  );
  for (const [i, seed] of seeds.entries()) {
    const [want] = await reference.generate([`q${seed}`], {
      ...sampled,
      maxNewTokens: 8,
      temperature: 0.8,
      topP: 1,
      topK: 0,
      n: 1,
      seed,
    });
    // The same sampler draws; float32 logits differ in the last bits with the batch's shape.
    assert.equal(results[i].json.choices[0].text, want.text);
    results[i].json.choices[0].logprobs.token_logprobs.forEach((v: number, j: number) =>
      assert.ok(Math.abs(v - want.logprobs![j]) < 1e-5),
    );
  }
  const batches = policy.batcher.stats.batches - before.batches;
  assert.equal(policy.batcher.stats.rows - before.rows, seeds.length);
  assert.ok(batches < seeds.length, `12 concurrent requests ran as ${batches} generate calls`);
});

test('OpenAIPolicy through the server: greedy generations, sampled one-prompt-one-sample generations and scores equal the embedded policy', async () => {
  const http = new OpenAIPolicy({ baseURL: server.url, model: 'tiny', retry: { retries: 0 } });
  try {
    // Sampled calls with several prompts or samples differ: HTTP sends each (prompt, sample) alone with seed + sampleIndex.
    for (const [prompts, params] of [
      [['2*3=', 'x'], { ...sampled, temperature: 0, n: 2 }],
      [['2*3='], { ...sampled, n: 1, seed: 123 }],
    ] as const) {
      const [a, b] = await Promise.all([
        reference.generate([...prompts], params),
        http.generate([...prompts], params),
      ]);
      assert.deepEqual(
        b.map((c) => [c.text, c.logprobs, c.finishReason, c.tokenCount]),
        a.map((c) => [c.text, c.logprobs, c.finishReason, c.tokenIds.length]),
      );
    }
    const batch = { prompts: ['Q: 2+2? A:', 'hello'], completions: [' 4', ' world!'] };
    const [sa, sb] = await Promise.all([reference.score(batch), http.score(batch)]);
    sb.logprobs.forEach((row, i) => {
      assert.equal(row.length, sa.logprobs[i].length);
      // echo scores the whole text in one graph: same float32 values up to summation order
      row.forEach((v, j) =>
        assert.ok(Math.abs(v - sa.logprobs[i][j]) < 1e-5, `${v} vs ${sa.logprobs[i][j]}`),
      );
    });
  } finally {
    http.close();
  }
});

test('chat completions render the chat template and match generateChat', async () => {
  const messages = [{ role: 'user' as const, content: 'What is 3+4?' }];
  const [want] = await reference.generateChat([messages], { ...sampled, n: 1, seed: 5, maxNewTokens: 10 });
  const { status, json } = await post('/chat/completions', {
    model: 'tiny',
    messages,
    max_tokens: 10,
    temperature: 1,
    top_p: 0.9,
    top_k: 40,
    seed: 5,
    logprobs: true,
  });
  assert.equal(status, 200);
  assert.equal(json.object, 'chat.completion');
  assert.equal(json.choices[0].message.role, 'assistant');
  assert.equal(json.choices[0].message.content, want.text);
  assert.deepEqual(
    json.choices[0].logprobs.content.map((t: { logprob: number }) => t.logprob),
    want.logprobs,
  );
});

test('bad requests are 400 with an OpenAI error body naming the field', async () => {
  const cases: Array<[unknown, string]> = [
    [{ max_tokens: 4 }, 'prompt'],
    [{ prompt: 'x', n: 0 }, 'n'],
    [{ prompt: 'x', temperature: -0.5 }, 'temperature'],
    [{ prompt: 'x', temperature: 'hot' }, 'temperature'],
    [{ prompt: 'x', top_p: 0 }, 'top_p'],
    [{ prompt: 'x', max_tokens: 0 }, 'max_tokens'],
    [{ prompt: 'x', max_tokens: 5000 }, 'max_tokens'],
    [{ prompt: 'x', seed: -1 }, 'seed'],
    [{ prompt: 'x', stop: 3 }, 'stop'],
    [{ prompt: 'x', stream: true }, 'stream'],
    [{ prompt: 'x', logprobs: 99 }, 'logprobs'],
    [{ prompt: [] }, 'prompt'],
    [{ prompt: [1, 9999] }, 'prompt'],
  ];
  for (const [body, param] of cases) {
    const { status, json } = await post('/completions', body);
    assert.equal(status, 400, JSON.stringify(body));
    assert.equal(json.error.type, 'invalid_request_error');
    assert.equal(json.error.param, param);
    assert.match(json.error.message, new RegExp(`^${param}`));
  }
  const chat = await post('/chat/completions', { messages: [{ role: 'robot', content: 'hi' }] });
  assert.equal(chat.status, 400);
  assert.equal(chat.json.error.param, 'messages[0].role');
  const noMessages = await post('/chat/completions', {});
  assert.equal(noMessages.json.error.param, 'messages');
  const notJson = await post('/completions', '{"prompt": ');
  assert.equal(notJson.status, 400);
  assert.match(notJson.json.error.message, /not valid JSON/);
  const wrongModel = await post('/completions', { model: 'gpt-9', prompt: 'x' });
  assert.equal(wrongModel.status, 404);
  assert.equal(wrongModel.json.error.code, 'model_not_found');
  const noRoute = await fetch(server.url + '/embeddings', { method: 'POST', body: '{}' });
  assert.equal(noRoute.status, 404);
});

test('close() lets a request in flight finish, then refuses connections', async () => {
  const own = await startModelServer({ policy: new BatchedEmbeddedPolicy(lm), modelName: 'tiny' });
  const pending = fetch(own.url + '/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'slow', max_tokens: 64, temperature: 0 }),
  });
  while (!own.requests['/v1/completions']) await new Promise((r) => setTimeout(r, 2));
  const closed = own.close();
  const res = await pending;
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { choices: unknown[] }).choices.length, 1);
  await closed;
  await assert.rejects(fetch(own.url + '/models'));
});

test('rlvr serve-model stops cleanly on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    [rlvr, 'serve-model', '--model', modelDir, '--port', '0', '--model-name', 'cli-tiny'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const first = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    const url = /at (http:\/\/127\.0\.0\.1:\d+\/v1)$/.exec(first)?.[1];
    assert.ok(url, first);
    const res = await fetch(url + '/models');
    assert.equal(((await res.json()) as { data: Array<{ id: string }> }).data[0].id, 'cli-tiny');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('rlvr serve-model: a second signal stops at once, without waiting out the grace period', async () => {
  const child = spawn(process.execPath, [rlvr, 'serve-model', '--model', modelDir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const first = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    const url = /at (http:\/\/127\.0\.0\.1:\d+\/v1)$/.exec(first)![1];
    // ~2000 decode steps: still running when the signals come, and the default grace is 30 s
    const pending = fetch(url + '/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'long', max_tokens: 2040, temperature: 0, ignore_eos: true }),
    });
    pending.catch(() => {});
    let stderr = '';
    const said = (text: string) =>
      new Promise<void>((resolve) =>
        child.stderr!.on('data', (c: Buffer) => {
          stderr += c.toString();
          if (stderr.includes(text)) resolve();
        }),
      );
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const graceful = said('SIGINT: finishing requests in flight (30 s at most');
    child.kill('SIGINT');
    await graceful;
    child.kill('SIGTERM');
    assert.equal(await exited, 1);
    assert.match(stderr, /SIGTERM again: stopping now/);
    await assert.rejects(pending);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
