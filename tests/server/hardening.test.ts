/** The model server against hostile and broken requests: each case a defect a probe reproduced. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAIPolicy } from '../../src/backends/openai.ts';
import { defaultSampling } from '../../src/backends/policy.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { isLoopback } from '../../src/server/access.ts';
import { BatchedEmbeddedPolicy } from '../../src/server/batched-policy.ts';
import { startModelServer, type ModelServer } from '../../src/server/model-server.ts';
import { UserError } from '../../src/util/errors.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const modelDir = mkdtempSync(join(tmpdir(), 'rlvr-harden-'));
writeCharModelDir(modelDir, { seed: 11 });
const lm = CausalLM.load(modelDir);
const context = lm.config.maxPositionEmbeddings; // 2048; the character tokenizer: one token per character
const policy = new BatchedEmbeddedPolicy(lm, { maxBatch: 4 });
const server = await startModelServer({ policy, modelName: 'tiny' });
const closers: Array<() => Promise<void>> = [() => server.close()];
after(() => Promise.all(closers.map((c) => c())));

interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- error bodies are checked field by field
  json: any;
}

/** A raw request: any target, any headers (fetch normalizes targets and will not set Host). */
function raw(
  target: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; port?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: init.port ?? server.port,
        path: target,
        method: init.method ?? 'GET',
        headers: init.headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

const json = { 'content-type': 'application/json' };
const post = (
  body: unknown,
  path = '/v1/completions',
  headers: Record<string, string> = json,
  port?: number,
) =>
  raw(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), port });

async function stillServes(port = server.port, headers: Record<string, string> = json): Promise<void> {
  const ok = await post({ prompt: 'ok', max_tokens: 3, temperature: 0 }, '/v1/completions', headers, port);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.choices.length, 1);
}

function assertRefused(r: Reply, status: number, param: string | null, message?: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json.error.param, param, JSON.stringify(r.json));
  if (message) assert.match(r.json.error.message, message);
}

test('a malformed request target (//[, a broken %-escape) is answered, and the process lives on', async () => {
  assertRefused(await raw('//['), 404, null);
  assertRefused(await raw('/v1/%E0%A4%A'), 400, null);
  assertRefused(await raw('//[', { method: 'POST', headers: json, body: '{}' }), 404, null);
  await stillServes();
});

test('200k tiny prompts × n = 256 (a 1 MB body) are refused on the count before any row is built', async () => {
  const body = `{"prompt": [${Array(200_000).fill('[5]').join(',')}], "n": 256, "max_tokens": 1}`;
  assert.ok(body.length < 1.1e6);
  assertRefused(
    await post(body),
    400,
    'prompt',
    /200000 prompts; this server takes at most 4096 completions/,
  );
  const hundred = Array.from({ length: 100 }, () => 'x');
  assertRefused(
    await post({ prompt: hundred, n: 256 }),
    400,
    'n',
    /100 prompt\(s\) × n = 256 is 25600 completions/,
  );
  await stillServes();
});

test('a 15 MB prompt is refused naming prompt, on its length, without being tokenized', async () => {
  const encode = lm.tokenizer.encode.bind(lm.tokenizer);
  let longest = 0;
  lm.tokenizer.encode = (text, options) => {
    longest = Math.max(longest, text.length);
    return encode(text, options);
  };
  try {
    const r = await post({ prompt: 'a'.repeat(15_000_000), max_tokens: 4 });
    assertRefused(
      r,
      400,
      'prompt',
      /15000000 characters \(at least \d+ tokens\); this model's maximum context length is 2048/,
    );
    assert.equal(longest, 0, 'the prompt was tokenized');
    // Too long only once tokenized: still named prompt; prompt that fits but not with max_tokens: max_tokens.
    assertRefused(
      await post({ prompt: 'a'.repeat(context + 10), max_tokens: 4 }),
      400,
      'prompt',
      /has 2058 tokens/,
    );
    assertRefused(await post({ prompt: 'a'.repeat(context - 2), max_tokens: 4 }), 400, 'max_tokens');
    assert.equal(longest, context + 10);
    // echo with max_tokens 0 scores a prompt that fills the context exactly
    const full = await post({ prompt: 'a'.repeat(context), max_tokens: 0, echo: true, logprobs: 0 });
    assert.equal(full.status, 200);
    assert.equal(full.json.choices[0].logprobs.token_logprobs.length, context);
  } finally {
    lm.tokenizer.encode = encode;
  }
});

test('the total tokens of a request (completions × (prompt + max_tokens)) are limited', async () => {
  const own = await startModelServer({ policy, modelName: 'tiny', limits: { maxTotalTokens: 1000 } });
  closers.push(() => own.close());
  const at = (body: unknown) => post(body, '/v1/completions', json, own.port);
  assertRefused(
    await at({ prompt: 'x', n: 100, max_tokens: 20 }),
    400,
    'max_tokens',
    /100 completions × max_tokens = 20 is 2000 tokens/,
  );
  // 4 prompts of 300 token ids × n 1 + 4 × 2 = 1208 > 1000: named prompt
  const ids = Array.from({ length: 4 }, () => Array(300).fill(5));
  assertRefused(await at({ prompt: ids, max_tokens: 2 }), 400, 'prompt', /1200 tokens over 4 completions/);
  assert.equal((await at({ prompt: ids.slice(0, 3), max_tokens: 2, temperature: 0 })).status, 200);
});

test('deeply nested JSON is a 400, not a 500; nesting within the limit gets the field named', async () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assertRefused(await post(`{"prompt": ${deep(20_000)}}`), 400, null, /nests deeper than 64 levels/);
  assertRefused(await post(`{"prompt": "x", "stop": ${deep(20_000)}}`), 400, null, /nests deeper/);
  // brackets inside strings are text, not nesting
  const r = await post({ prompt: '['.repeat(500), max_tokens: 2, temperature: 0, stop: ['{{{{'] });
  assert.equal(r.status, 200);
  assertRefused(
    await post(`{"prompt": "x", "stop": ${deep(30)}}`),
    400,
    'stop',
    /^stop: expected a string or a list of strings, got a list of 1/,
  );
  assertRefused(await post(`{"prompt": ${deep(30)}}`), 400, 'prompt');
  await stillServes();
});

test('temperature 1e-310 is greedy (it drew the last token every time); logit_bias is refused, not ignored', async () => {
  const ask = (temperature: number) => post({ prompt: 'abc', max_tokens: 8, temperature, seed: 1 });
  const [tiny, greedy] = await Promise.all([ask(1e-310), ask(0)]);
  assert.equal(tiny.status, 200);
  assert.equal(tiny.json.choices[0].text, greedy.json.choices[0].text);
  assert.notEqual(greedy.json.choices[0].text, '~'.repeat(8)); // the last id of the character vocabulary
  for (const bias of [{ '5': 10 }, 5, 'x', [1]]) {
    assertRefused(await post({ prompt: 'x', logit_bias: bias }), 400, 'logit_bias');
    assertRefused(
      await post({ messages: [{ role: 'user', content: 'x' }], logit_bias: bias }, '/v1/chat/completions'),
      400,
      'logit_bias',
    );
  }
  assert.equal((await post({ prompt: 'x', logit_bias: {}, max_tokens: 1 })).status, 200);
});

test('fields are checked as sent (no coercion), and chat message shapes name the failing part', async () => {
  assertRefused(await post({ prompt: 'x', n: '2' }), 400, 'n', /^n: must be integer, got "2"/);
  assertRefused(await post({ prompt: 'x', seed: 2 ** 60 }), 400, 'seed');
  assertRefused(await post({ prompt: 'x', echo: 'yes' }), 400, 'echo');
  const chat = (messages: unknown) => post({ messages }, '/v1/chat/completions');
  assertRefused(
    await chat([{ role: 'user', content: [{ type: 'image_url', image_url: 'x' }] }]),
    400,
    'messages[0].content',
    /expected a string or a list of/,
  );
  assertRefused(await chat([{ role: 'user' }]), 400, 'messages[0].content', /missing/);
  assertRefused(await chat(Array(context + 1).fill({ role: 'user', content: 'x' })), 400, 'messages');
  assertRefused(
    await chat([{ role: 'user', content: 'a'.repeat(40_000) }]),
    400,
    'messages',
    /40000 characters/,
  );
});

test('Content-Type must be application/json: form and text posts (what a web page can send without asking) get 415', async () => {
  const body = JSON.stringify({ prompt: 'x', max_tokens: 1 });
  for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
    assertRefused(
      await post(body, '/v1/completions', { 'content-type': type }),
      415,
      null,
      /Content-Type: application\/json/,
    );
  }
  assertRefused(await post(body, '/v1/completions', {}), 415, null);
  assertRefused(await raw('/v1/completions', { method: 'POST' }), 400, null, /must be a JSON object/);
  assert.equal(
    (await post(body, '/v1/completions', { 'content-type': 'application/json; charset=utf-8' })).status,
    200,
  );
});

test('a loopback server answers only Host localhost, 127.0.0.1 or [::1] with its port (DNS rebinding)', async () => {
  const at = (host: string) => raw('/v1/models', { headers: { host } });
  for (const host of [
    `localhost:${server.port}`,
    `127.0.0.1:${server.port}`,
    `[::1]:${server.port}`,
    `LOCALHOST:${server.port}`,
  ])
    assert.equal((await at(host)).status, 200, host);
  for (const host of [
    `evil.example:${server.port}`,
    'localhost',
    `127.0.0.1:${server.port + 1}`,
    `127.0.0.1.evil.example:${server.port}`,
  ]) {
    const r = await at(host);
    assert.equal(r.status, 403, host);
    assert.equal(r.json.error.code, 'invalid_host');
  }
  assert.ok(
    isLoopback('127.0.0.1') &&
      isLoopback('::1') &&
      isLoopback('[::1]') &&
      isLoopback('localhost') &&
      isLoopback('127.1.2.3'),
  );
  assert.ok(
    !isLoopback('0.0.0.0') &&
      !isLoopback('::') &&
      !isLoopback('192.168.1.2') &&
      !isLoopback('localhost.evil.example'),
  );
});

test('--api-key: every route needs the bearer key; a non-loopback bind refuses to start without one', async () => {
  const own = await startModelServer({ policy, modelName: 'tiny', apiKey: 's3cret' });
  closers.push(() => own.close());
  for (const [headers, status] of [
    [{}, 401],
    [{ authorization: 'Bearer wrong' }, 401],
    [{ authorization: 's3cret' }, 401],
    [{ authorization: 'Bearer s3cret' }, 200],
  ] as const) {
    const r = await raw('/v1/models', { port: own.port, headers });
    assert.equal(r.status, status, JSON.stringify(headers));
    if (status === 401) assert.equal(r.json.error.code, 'invalid_api_key');
  }
  assertRefused(await post({ prompt: 'x' }, '/v1/completions', json, own.port), 401, null);
  assertRefused(await raw('/nowhere', { port: own.port }), 401, null);
  await stillServes(own.port, { ...json, authorization: 'Bearer s3cret' });
  const client = new OpenAIPolicy({
    baseURL: own.url,
    model: 'tiny',
    apiKey: 's3cret',
    retry: { retries: 0 },
  });
  try {
    const [c] = await client.generate(['1+1='], {
      ...defaultSampling,
      temperature: 0,
      maxNewTokens: 4,
      n: 1,
      seed: 0,
    });
    assert.equal(c.finishReason === 'stop' || c.finishReason === 'length', true);
  } finally {
    client.close();
  }

  await assert.rejects(
    startModelServer({ policy, modelName: 'tiny', host: '0.0.0.0' }),
    (err) =>
      err instanceof UserError && /--host 0\.0\.0\.0 is not a loopback address.*--api-key/.test(err.message),
  );
  // with a key, any Host is answered (the key is the defence)
  const open = await startModelServer({ policy, modelName: 'tiny', host: '0.0.0.0', apiKey: 'k' });
  closers.push(() => open.close());
  assert.equal(
    (await raw('/v1/models', { port: open.port, headers: { host: 'box.lan', authorization: 'Bearer k' } }))
      .status,
    200,
  );

  // the CLI refuses before loading the model (the path does not exist)
  const cli = spawnSync(
    process.execPath,
    [rlvr, 'serve-model', '--model', '/nope', '--port', '0', '--host', '0.0.0.0'],
    {
      encoding: 'utf8',
      env: { ...process.env, RLVR_API_KEY: '' },
    },
  );
  assert.equal(cli.status, 2, cli.stderr);
  assert.match(cli.stderr, /--host 0\.0\.0\.0 is not a loopback address/);
  assert.doesNotMatch(cli.stderr, /nope|\n\s+at /);
});

/** A request whose generation runs ~2000 decode steps unless stopped; resolves when it has begun. */
async function startLong(target: ModelServer, own: BatchedEmbeddedPolicy, signal?: AbortSignal) {
  const before = own.batcher.stats.steps;
  const response = fetch(target.url + '/completions', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ prompt: 'long', max_tokens: context - 8, temperature: 0, ignore_eos: true }),
    signal,
  });
  response.catch(() => {});
  while (own.batcher.stats.steps < before + 3) await new Promise((r) => setTimeout(r, 5));
  return { response, before };
}

test('a client that disconnects gives up its generation: a later request does not wait behind it', async () => {
  const own = new BatchedEmbeddedPolicy(lm, { maxBatch: 4 });
  const target = await startModelServer({ policy: own, modelName: 'tiny' });
  closers.push(() => target.close());
  const ac = new AbortController();
  const { response, before } = await startLong(target, own, ac.signal);
  ac.abort();
  await assert.rejects(response);
  // other sampling settings: this request can only run once the long one's batch has ended
  const next = await fetch(target.url + '/completions', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ prompt: 'next', max_tokens: 4, temperature: 0.5, seed: 2 }),
  });
  assert.equal(next.status, 200);
  const steps = own.batcher.stats.steps - before;
  assert.ok(steps < 500, `${steps} decode steps ran; the abandoned request asked for ${context - 8}`);
  assert.equal(own.batcher.stats.cancelledRows, 1);
});

test('close(grace): a request still running after the grace period is cancelled with a 503, and close returns', async () => {
  const own = new BatchedEmbeddedPolicy(lm, { maxBatch: 4 });
  const target = await startModelServer({ policy: own, modelName: 'tiny' });
  const { response, before } = await startLong(target, own);
  await target.close(50);
  const res = await response;
  assert.equal(res.status, 503);
  const body = (await res.json()) as { error: { message: string; type: string } };
  assert.match(body.error.message, /shutting down: generation was cancelled after the 50 ms grace period/);
  assert.equal(body.error.type, 'server_error');
  assert.ok(own.batcher.stats.steps - before < 500);
  await assert.rejects(fetch(target.url + '/models'));
});

test('a client that sends its request too slowly is cut off with 408 after the request timeout', async () => {
  const own = await startModelServer({ policy, modelName: 'tiny', requestTimeoutMs: 300 });
  closers.push(() => own.close());
  const socket = connect(own.port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8').on('data', (c: string) => (received += c));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:${own.port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"prompt"`,
  );
  await closed;
  assert.match(received, /^HTTP\/1\.1 408/);
});
