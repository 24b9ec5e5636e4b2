import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAIPolicy, BackendCapabilityError, type OpenAIPolicyOptions } from '../../src/backends/openai.ts';
import { defaultSampling, type SamplingParams } from '../../src/backends/policy.ts';
import { BackendRequestError } from '../../src/backends/retry.ts';
import { fakeText, startFakeServer, type Behaviour, type FakeRequest } from './fake-server.ts';

const params: SamplingParams = { ...defaultSampling, n: 2, seed: 40, temperature: 0.6, topP: 0.95, maxNewTokens: 64 };
const fastRetry = { retries: 3, initialDelayMs: 5, maxDelayMs: 20 };
const dir = mkdtempSync(join(tmpdir(), 'rlvr-openai-'));

async function withServer(behave: ((r: FakeRequest) => Behaviour) | undefined, opts: Partial<OpenAIPolicyOptions>, body: (server: Awaited<ReturnType<typeof startFakeServer>>, policy: OpenAIPolicy) => Promise<void>) {
  const server = await startFakeServer(behave);
  const policy = new OpenAIPolicy({ baseURL: server.baseURL, model: 'fake', retry: fastRetry, timeoutMs: 5000, ...opts });
  try {
    await body(server, policy);
  } finally {
    policy.close();
    await server.close();
  }
}

test('completions: n samples as separate requests with seed + sampleIndex, in prompt/sample order, logprobs mapped', async () => {
  await withServer(undefined, {}, async (server, policy) => {
    const out = await policy.generate(['p0', 'p1', 'p2'], { ...params, topK: 20, stop: ['\n\n'] });
    assert.deepEqual(out.map((c) => [c.promptIndex, c.sampleIndex, c.text]), [
      [0, 0, fakeText('p0', 40)],
      [0, 1, fakeText('p0', 41)],
      [1, 0, fakeText('p1', 40)],
      [1, 1, fakeText('p1', 41)],
      [2, 0, fakeText('p2', 40)],
      [2, 1, fakeText('p2', 41)],
    ]);
    assert.equal(server.count('/completions'), 6);
    const sent = server.log[0].body;
    assert.equal(sent.n, 1);
    assert.equal(sent.temperature, 0.6);
    assert.equal(sent.top_p, 0.95);
    assert.equal(sent.top_k, 20);
    assert.deepEqual(sent.stop, ['\n\n']);
    assert.equal(sent.max_tokens, 64);
    assert.equal(sent.logprobs, 1);
    assert.deepEqual(out[0].logprobs, new Array(out[0].text.length).fill(-0.5));
    assert.equal(out[0].tokenCount, out[0].text.length);
    assert.equal(out[0].finishReason, 'stop');
    const capped = await policy.generate(['p0'], { ...params, n: 1, maxNewTokens: 3 });
    assert.equal(capped[0].finishReason, 'length');
    assert.equal(capped[0].text, fakeText('p0', 40).slice(0, 3));
  });
});

test('the same prompt twice in one batch is asked once per sample index', async () => {
  await withServer(() => ({ kind: 'ok', delayMs: 20 }), {}, async (server, policy) => {
    const out = await policy.generate(['d', 'd'], params);
    assert.equal(server.count(), 2);
    assert.deepEqual(out.map((c) => [c.promptIndex, c.sampleIndex, c.text]), [
      [0, 0, fakeText('d', 40)],
      [0, 1, fakeText('d', 41)],
      [1, 0, fakeText('d', 40)],
      [1, 1, fakeText('d', 41)],
    ]);
  });
});

test('dropped connections are retried; a server that always drops gives a clear final error', async () => {
  await withServer((r) => (r.attempt <= 2 ? { kind: 'drop' } : { kind: 'ok' }), {}, async (server, policy) => {
    const out = await policy.generate(['a', 'b'], params);
    assert.equal(out.length, 4);
    assert.deepEqual(out.map((c) => c.text), [fakeText('a', 40), fakeText('a', 41), fakeText('b', 40), fakeText('b', 41)]);
    assert.equal(server.count(), 12); // 4 samples × (2 drops + 1 success)
  });
  await withServer(() => ({ kind: 'drop' }), {}, async (server, policy) => {
    await assert.rejects(policy.generate(['a'], { ...params, n: 1 }), (err: unknown) => {
      assert.ok(err instanceof BackendRequestError);
      assert.equal(err.attempts, 4);
      assert.match(err.message, new RegExp(`request to ${server.baseURL}/completions failed after 4 attempts: connection error`));
      return true;
    });
    assert.equal(server.count(), 4);
  });
});

test('429 with Retry-After is obeyed (fractional seconds) rather than the short backoff', async () => {
  const times: number[] = [];
  await withServer(
    (r) => {
      times.push(Date.now());
      return r.attempt === 1 ? { kind: 'status', status: 429, headers: { 'retry-after': '0.4' } } : { kind: 'ok' };
    },
    {},
    async (server, policy) => {
      const out = await policy.generate(['x'], { ...params, n: 1 });
      assert.equal(out[0].text, fakeText('x', 40));
      assert.equal(server.count(), 2);
      assert.ok(times[1] - times[0] >= 380, `waited ${times[1] - times[0]} ms`);
    },
  );
});

test('500s are retried with backoff; persistent 500 reports status and attempts; 400 is not retried', async () => {
  await withServer((r) => (r.attempt <= 3 ? { kind: 'status', status: 500 } : { kind: 'ok' }), {}, async (server, policy) => {
    const out = await policy.generate(['x'], { ...params, n: 1 });
    assert.equal(out[0].text, fakeText('x', 40));
    assert.equal(server.count(), 4);
  });
  await withServer(() => ({ kind: 'status', status: 503 }), {}, async (server, policy) => {
    await assert.rejects(policy.generate(['x'], { ...params, n: 1 }), (err: unknown) => {
      assert.ok(err instanceof BackendRequestError);
      assert.equal(err.status, 503);
      assert.match(err.message, /\/completions failed after 4 attempts: HTTP 503: fake 503/);
      return true;
    });
    assert.equal(server.count(), 4);
  });
  await withServer(() => ({ kind: 'status', status: 400 }), {}, async (server, policy) => {
    await assert.rejects(policy.generate(['x'], { ...params, n: 1 }), /failed after 1 attempt: HTTP 400/);
    assert.equal(server.count(), 1);
  });
});

test('a stalled response times out and is retried; a server that always stalls fails naming the timeout', async () => {
  await withServer((r) => (r.attempt === 1 ? { kind: 'stall' } : { kind: 'ok' }), { timeoutMs: 300 }, async (server, policy) => {
    const out = await policy.generate(['s'], { ...params, n: 1 });
    assert.equal(out[0].text, fakeText('s', 40));
    assert.equal(server.count(), 2);
  });
  await withServer(() => ({ kind: 'stall' }), { timeoutMs: 200, retry: { retries: 1, initialDelayMs: 5, maxDelayMs: 5 } }, async (server, policy) => {
    await assert.rejects(policy.generate(['s'], { ...params, n: 1 }), /failed after 2 attempts: timed out after 200 ms/);
    assert.equal(server.count(), 2);
  });
});

test('cache: an interrupted run resumes asking only what is missing; a complete rerun asks nothing', async () => {
  const cachePath = join(dir, 'resume.jsonl');
  const prompts = ['q0', 'q1', 'q2', 'q3'];
  // First run: the server fails q2 and q3 for good, as if the run was killed halfway.
  await withServer((r) => (['q2', 'q3'].includes(String(r.body.prompt)) ? { kind: 'status', status: 400 } : { kind: 'ok' }), { cachePath }, async (_server, policy) => {
    await assert.rejects(policy.generate(prompts, params), /HTTP 400/);
  });
  assert.equal(readFileSync(cachePath, 'utf8').trimEnd().split('\n').length, 4); // q0, q1 × 2 samples
  // A crash mid-append leaves a torn last line; it is dropped on open.
  appendFileSync(cachePath, '{"key":"abc","val');
  let full: Awaited<ReturnType<OpenAIPolicy['generate']>> = [];
  await withServer(undefined, { cachePath }, async (server, policy) => {
    full = await policy.generate(prompts, params);
    assert.equal(server.count(), 4); // only q2, q3 × 2 samples
    assert.deepEqual(server.log.map((r) => [r.body.prompt, r.body.seed]).sort(), [['q2', 40], ['q2', 41], ['q3', 40], ['q3', 41]]);
  });
  assert.deepEqual(full.map((c) => c.text), prompts.flatMap((p) => [fakeText(p, 40), fakeText(p, 41)]));
  await withServer(undefined, { cachePath }, async (server, policy) => {
    const again = await policy.generate(prompts, params);
    assert.equal(server.count(), 0);
    assert.deepEqual(again, full);
    // More samples reuse the cached first two and ask only for the new indices.
    const more = await policy.generate(['q0'], { ...params, n: 3 });
    assert.deepEqual(more.map((c) => c.text), [fakeText('q0', 40), fakeText('q0', 41), fakeText('q0', 42)]);
    assert.equal(server.count(), 1);
    // Other sampling parameters are other keys.
    await policy.generate(['q0'], { ...params, n: 1, temperature: 1 });
    assert.equal(server.count(), 2);
  });
  const lines = readFileSync(cachePath, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 10);
  assert.equal(new Set(lines.map((l) => (JSON.parse(l) as { key: string }).key)).size, 10);
});

test('cache: a malformed line in the middle is a clear error', () => {
  const cachePath = join(dir, 'bad.jsonl');
  writeFileSync(cachePath, '{"key":"a","value":{}}\nnot json\n{"key":"b","value":{}}\n');
  assert.throws(() => new OpenAIPolicy({ baseURL: 'http://127.0.0.1:9/v1', model: 'm', cachePath }), /bad\.jsonl:2: malformed response-cache line/);
});

test('the concurrency limit is respected and reached', async () => {
  await withServer(() => ({ kind: 'ok', delayMs: 40 }), { concurrency: 3 }, async (server, policy) => {
    const out = await policy.generate(Array.from({ length: 6 }, (_, i) => `c${i}`), params);
    assert.equal(out.length, 12);
    assert.equal(server.count(), 12);
    assert.equal(server.maxInFlight, 3);
  });
});

test('auto mode falls back to chat when /completions is missing, once; chat conversations go to chat', async () => {
  await withServer((r) => (r.path === '/completions' ? { kind: 'status', status: 404 } : { kind: 'ok' }), { concurrency: 1 }, async (server, policy) => {
    const out = await policy.generate(['h0', 'h1'], params);
    assert.deepEqual(out.map((c) => c.text), [fakeText('h0', 40), fakeText('h0', 41), fakeText('h1', 40), fakeText('h1', 41)]);
    assert.equal(server.count('/completions'), 1);
    assert.equal(server.count('/chat/completions'), 4);
    assert.deepEqual(server.log[1].body.messages, [{ role: 'user', content: 'h0' }]);
    assert.equal(server.log[1].body.logprobs, true);
    assert.deepEqual(out[0].logprobs, new Array(out[0].text.length).fill(-1));
    const chat = await policy.generateChat([[{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }]], { ...params, n: 1 });
    assert.equal(chat[0].text, fakeText('S/U', 40));
    await assert.rejects(policy.score({ prompts: ['a'], completions: ['b'] }), BackendCapabilityError);
  });
  await withServer((r) => (r.path === '/completions' ? { kind: 'status', status: 404 } : { kind: 'ok' }), { api: 'completions' }, async (_server, policy) => {
    await assert.rejects(policy.generate(['h0'], { ...params, n: 1 }), /completions failed after 1 attempt: HTTP 404/);
  });
});

test('score: echo + logprobs split at the prompt boundary; a server without it cannot score', async () => {
  await withServer(undefined, {}, async (server, policy) => {
    const s = await policy.score({ prompts: ['ab', 'xyz'], completions: ['cd', 'w'] });
    assert.deepEqual(s.promptTokenIds, [[100, 101], [100, 101, 102]]);
    assert.deepEqual(s.completionTokenIds, [[102, 103], [103]]);
    assert.deepEqual(s.logprobs, [[-0.3, -0.4], [-0.4]]);
    assert.equal(s.entropies, null);
    assert.equal(server.log[0].body.echo, true);
  });
  await withServer((r) => (r.path === '/completions' ? { kind: 'status', status: 404 } : { kind: 'ok' }), {}, async (_server, policy) => {
    await assert.rejects(policy.score({ prompts: ['a'], completions: ['b'] }), (err: unknown) => err instanceof BackendCapabilityError && /cannot score: no completions endpoint \(HTTP 404\)/.test(err.message));
  });
});
