import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { composeRewards, inProcessVerify } from '../../src/rewards/index.ts';
import { rewardServiceSetup } from '../../src/reward-service/config.ts';
import { startRewardService, type RewardService } from '../../src/reward-service/server.ts';
import { responseOf } from '../../src/reward-service/protocols.ts';
import { verifyPair } from '../../src/verify/verify.ts';
import { UserError } from '../../src/util/errors.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read the answers' JSON freely
type Json = Record<string, any>;

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/reward-service/${name}`, import.meta.url), 'utf8'));
const REWARDS = [
  { name: 'accuracy', weight: 1, config: {} },
  { name: 'boxed_format', weight: 0.25, config: {} },
];
const setup = rewardServiceSetup({ rewards: REWARDS }, 'test');
const TOKEN = 's3cret-token';
const FALLBACK = -1;
/** The trainer's reward on the same items, in-process: the reference the service must match. */
const trainerReward = composeRewards(REWARDS, { verify: inProcessVerify });
const expectedScore = async (response: string, gold?: string) => (await trainerReward.score({ prompt: '', responses: [response], gold }))[0];

let svc: RewardService;
before(async () => {
  svc = await startRewardService({ setup, threads: 2, timeoutMs: 20_000, fallbackScore: FALLBACK, token: TOKEN, maxItems: 600, chunkSize: 2 });
});
after(() => svc.close());

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

async function call(path: string, body?: unknown, opts: { token?: string | null; raw?: string } = {}) {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const res = await fetch(svc.url + path, {
    method: body === undefined && opts.raw === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined && opts.raw === undefined ? {} : { body: opts.raw ?? JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text.startsWith('{') ? (JSON.parse(text) as Json) : null };
}

test('OpenRLHF /get_reward: recorded one-sample requests score as the trainer reward does, special tokens stripped', async () => {
  const f = fixture('openrlhf-get_reward.json');
  for (const [i, req] of (f.requests as Array<{ query: string[]; prompts: string[]; labels: string[] }>).entries()) {
    const r = await call('/get_reward', req);
    assert.equal(r.status, 200, r.text);
    const response = req.query[0].slice(req.prompts[0].length).replaceAll('<|im_end|>', '').replaceAll('<|endoftext|>', '');
    const want = await expectedScore(response, req.labels[0]);
    assert.deepEqual(r.json!.rewards, [want.score]);
    assert.deepEqual(r.json!.rewards, [f.expected_accuracy[i] + 0.25 * f.expected_boxed[i]]);
    assert.deepEqual(r.json!.scores, [Math.min(1, Math.max(0, want.score))]);
    assert.deepEqual(r.json!.extra_logs, { accuracy: [f.expected_accuracy[i]], boxed_format: [f.expected_boxed[i]], correct: [f.expected_accuracy[i]], timeout: [0], error: [0] });
  }
  // OpenRLHF's multi-URL split sends empty lists to every server but the first.
  const empty = await call('/get_reward', f.empty);
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.json, { rewards: [], scores: [], extra_logs: { accuracy: [], boxed_format: [], correct: [], timeout: [], error: [] } });
  // A label may be a record (a dataset column holding a dict): the answer is read from it.
  const record = await call('/get_reward', { query: ['so \\boxed{3}'], prompts: ['so '], labels: [{ answer: '3', source: 'x' }] });
  assert.deepEqual(record.json!.rewards, [1.25]);
  const batched = await call('/get_reward', fixture('openrlhf-batched.json').request);
  assert.deepEqual(batched.json!.extra_logs.accuracy, f.expected_accuracy);
});

test('responseOf strips the prompt and chat-template markers, keeping <think>/<answer> tags', () => {
  assert.equal(responseOf('<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>a</think><answer>4</answer><|im_end|>', '<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n'), '<think>a</think><answer>4</answer>');
  // The decoded query does not start with the prompt byte for byte: fall back to the stripped texts.
  assert.equal(responseOf('<s>[INST] q [/INST] x</s>', '[INST] q [/INST]'), ' x');
  assert.equal(responseOf('<｜begin▁of▁sentence｜>Q: A: 5<｜end▁of▁sentence｜>', 'Q: A:'), ' 5');
});

test('verl /score: one result per item, every item with the same keys, scores as the trainer reward', async () => {
  const f = fixture('verl-score.json');
  const r = await call('/score', f.request);
  assert.equal(r.status, 200, r.text);
  const results = r.json!.results as Array<Record<string, unknown>>;
  assert.equal(results.length, f.request.solution_strs.length);
  for (const [i, res] of results.entries()) {
    assert.deepEqual(Object.keys(res), ['score', 'accuracy', 'boxed_format', 'correct', 'extracted', 'timeout', 'error']);
    const want = await expectedScore(f.request.solution_strs[i], f.request.ground_truths[i]);
    assert.equal(res.score, want.score);
    assert.equal(res.accuracy, f.expected_accuracy[i]);
    assert.equal(res.boxed_format, f.expected_boxed[i]);
    assert.equal(res.correct, f.expected_accuracy[i] === 1);
    assert.equal(res.timeout, false);
    assert.equal(res.error, '');
  }
  assert.equal(results[2].extracted, '1000');
  assert.equal(results[3].extracted, '');
  const empty = await call('/score', { data_sources: [], solution_strs: [], ground_truths: [], extra_infos: [] });
  assert.deepEqual(empty.json, { results: [] });
});

test('/v1/rewards and /score agree with the trainer reward and the verifier on 60 MATH-500 pairs', async () => {
  const rows = readFileSync(new URL('../../data/benchmarks/math500.jsonl', import.meta.url), 'utf8').trim().split('\n').slice(0, 61).map((l) => JSON.parse(l) as { solution: string; answer: string });
  // Every other solution is graded against the next problem's answer, so that both verdicts occur.
  const pairs = rows.slice(0, 60).map((r, i) => ({ gold: i % 2 ? r.answer : rows[i + 1].answer, response: r.solution }));
  const ours = await call('/v1/rewards', { items: pairs.map((p, i) => ({ id: `m${i}`, prompt: 'p', response: p.response, gold: p.gold })) });
  const verl = await call('/score', { solution_strs: pairs.map((p) => p.response), ground_truths: pairs.map((p) => p.gold) });
  assert.equal(ours.status, 200, ours.text);
  let correct = 0;
  for (const [i, p] of pairs.entries()) {
    const want = await expectedScore(p.response, p.gold);
    const v = verifyPair(p.gold, p.response);
    const got = ours.json!.results[i];
    assert.equal(got.id, `m${i}`);
    assert.equal(got.score, want.score, `pair ${i}`);
    assert.deepEqual(got.components, want.components);
    assert.equal(got.correct, v.correct);
    assert.equal(got.extracted, v.extracted ?? '');
    assert.equal(got.reason, v.reason);
    assert.equal(verl.json!.results[i].score, want.score);
    if (v.correct) correct++;
  }
  assert.ok(correct >= 25 && correct <= 31, `${correct} correct`);
});

test('an item past the time limit gets the fallback score and timeout: true; the batch and the server go on', async () => {
  // The main service's limit is generous so that a loaded machine cannot fail the other tests.
  const strict = await startRewardService({ setup, threads: 2, timeoutMs: 1000, fallbackScore: FALLBACK });
  after(() => strict.close());
  const slow = '\\boxed{1} '.repeat(700_000); // the verifier's hedge check takes seconds on this (7 MB)
  const post = async (path: string, body: unknown) => {
    const res = await fetch(strict.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const t = performance.now();
  const r = await post('/score', { solution_strs: ['\\boxed{2}', slow, '\\boxed{3}'], ground_truths: ['2', '1', '4'] });
  assert.equal(r.status, 200);
  assert.ok(performance.now() - t < 10_000, 'answered, not hung');
  const [a, b, c] = r.json!.results;
  assert.equal(a.score, 1.25);
  assert.deepEqual([b.score, b.timeout, b.accuracy, b.correct], [FALLBACK, true, 0, false]);
  assert.deepEqual([c.score, c.timeout], [0.25, false]);
  const again = await post('/get_reward', { query: ['\\boxed{5}'], labels: [5] });
  assert.deepEqual(again.json.rewards, [1.25]);
  assert.equal(strict.pool.counters.timeouts, 1);
});

test('a worker killed mid-batch is replaced and its items retried: every item scored as without the kill', async () => {
  // Polynomial identities make the CAS work for tens of ms each, so the batch is still running at the kill.
  const items = Array.from({ length: 24 }, (_, i) => ({ response: `\\boxed{(x+1)^{${3 + (i % 3)}}(x+1)}`, gold: `(x+1)^{${4 + (i % 3)}}` }));
  const before = svc.pool.counters.retries;
  const pending = call('/v1/rewards', { items });
  // Chunks of 2: while items still wait in the queue, both workers are mid-task.
  await until(() => svc.pool.pending > 0 && svc.pool.pending <= 20 && svc.pool.queued > 0);
  await svc.pool.workers[0].terminate();
  const r = await pending;
  assert.equal(r.status, 200, r.text);
  for (const res of r.json!.results) assert.deepEqual([res.score, res.timeout, res.error], [1.25, false, '']);
  assert.ok(svc.pool.counters.retries > before, 'the item on the killed worker was retried');
  assert.equal((await call('/health', undefined, { token: null })).status, 200);
});

test('faults each get a defined answer and the server keeps serving', async () => {
  const big = await call('/score', undefined, { raw: JSON.stringify({ solution_strs: ['x'.repeat(10 * 1024 * 1024)] }) });
  assert.equal(big.status, 413);
  assert.match(big.json!.error.message, /larger than 8388608 bytes/);
  const many = await call('/score', { solution_strs: Array(601).fill('x') });
  assert.equal(many.status, 413);
  assert.match(many.json!.error.message, /601 items .* --max-items 600/);
  const malformed = await call('/v1/rewards', undefined, { raw: '{"items": [{"response": "x"' });
  assert.equal(malformed.status, 400);
  assert.match(malformed.json!.error.message, /not valid JSON/);
  const missing = await call('/score', { solution_strs: ['x'] }, { token: null });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
  assert.match(missing.json!.error.message, /missing bearer token/);
  const wrong = await call('/score', { solution_strs: ['x'] }, { token: 'nope' });
  assert.equal(wrong.status, 401);
  assert.match(wrong.json!.error.message, /wrong bearer token/);
  assert.equal((await call('/metrics', undefined, { token: null })).status, 401);
  const ragged = await call('/get_reward', { query: ['a', 'b'], prompts: ['a'], labels: ['1', '2'] });
  assert.equal(ragged.status, 400);
  assert.match(ragged.json!.error.message, /query has 2, prompts has 1, labels has 2/);
  const badType = await call('/score', { solution_strs: [1] });
  assert.equal(badType.status, 400);
  assert.match(badType.json!.error.message, /solution_strs\/0 must be string/);
  const typo = await call('/v1/rewards', { items: [{ response: 'x', answer: '1' }] });
  assert.equal(typo.status, 400);
  assert.match(typo.json!.error.message, /additional properties/);
  // An item a reward cannot score (accuracy without a reference) costs that item only.
  const noGold = await call('/v1/rewards', { items: [{ response: '\\boxed{1}' }, { response: '\\boxed{1}', gold: '1' }] });
  assert.equal(noGold.status, 200);
  assert.deepEqual([noGold.json!.results[0].score, noGold.json!.results[1].score], [FALLBACK, 1.25]);
  assert.match(noGold.json!.results[0].error, /needs a gold answer/);
  const health = await call('/health', undefined, { token: null });
  assert.equal(health.status, 200);
  assert.deepEqual(health.json!.rewards, [{ name: 'accuracy', weight: 1 }, { name: 'boxed_format', weight: 0.25 }]);
  const metrics = await call('/metrics');
  assert.equal(metrics.status, 200);
  for (const line of [/^rlvr_reward_requests_total\{route="\/score",status="413"\} 2$/m, /^rlvr_reward_requests_total\{route="\/score",status="401"\} 2$/m, /^rlvr_reward_item_timeouts_total 0$/m, /^rlvr_reward_item_retries_total [1-9]/m, /^rlvr_reward_item_errors_total [1-9]/m, /^rlvr_reward_queue_depth 0$/m, /^rlvr_reward_request_duration_seconds_bucket\{le="0.05",route="\/get_reward"\} \d+$/m]) {
    assert.match(metrics.text, line);
  }
});

test('bounded queue: beyond it 429 with Retry-After, and graceful shutdown answers requests in flight', async () => {
  const small = await startRewardService({ setup, threads: 1, timeoutMs: 5000, maxQueue: 8 });
  const post = (body: unknown) => fetch(`${small.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const slow = { solution_strs: Array.from({ length: 6 }, (_, i) => `\\boxed{(x+1)^{${2 + i}}(x+1)}`), ground_truths: Array.from({ length: 6 }, (_, i) => `(x+1)^{${3 + i}}`) };
  const first = post(slow);
  await until(() => small.pool.pending > 0);
  const refused = await post(slow);
  assert.equal(refused.status, 429);
  assert.match(refused.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  assert.match(((await refused.json()) as { error: { message: string } }).error.message, /queue full/);
  const closing = small.close();
  const answered = await first;
  assert.equal(answered.status, 200);
  const body = (await answered.json()) as { results: Array<{ score: number }> };
  assert.deepEqual(body.results.map((r) => r.score), Array(6).fill(1.25));
  await closing;
  await assert.rejects(post(slow), 'the closed server accepts no connection');
});

test('admission before the body is read: bodies being read count as items and bytes; chunked uploads count as they arrive', async () => {
  const narrow = await startRewardService({ setup, threads: 1, maxQueue: 8, maxItems: 8, maxBodyBytes: 4096, maxHeldBytes: 4096 });
  const roomy = await startRewardService({ setup, threads: 1, maxBodyBytes: 4096, maxHeldBytes: 4096 });
  const health = async (svc: RewardService) => ((await (await fetch(`${svc.url}/health`)).json()) as { held_bytes: number; pending: number });
  /** A POST whose body is sent in parts: `send` more, `end` it, `answer` the response. */
  const open = (svc: RewardService, headers: Record<string, string | number>) => {
    const req = request(`${svc.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
    const answer = new Promise<{ status: number; body: Json }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Json }));
      });
      req.on('error', reject);
    });
    req.flushHeaders();
    return { send: (t: string) => req.write(t), end: (t: string) => req.end(t), answer };
  };
  const post = async (svc: RewardService, body: string) => {
    const res = await fetch(`${svc.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Json };
  };
  const batch = (n: number, pad = 0) => JSON.stringify({ solution_strs: Array.from({ length: n }, (_, i) => `${' '.repeat(pad)}\\boxed{${i}}`), ground_truths: Array.from({ length: n }, (_, i) => String(i)) });

  // ~2,900 bytes announced, 10 sent: at the initial 256 bytes per item it holds 8 items (--max-items caps the guess).
  const body = batch(8, 340);
  const slow = open(narrow, { 'content-length': Buffer.byteLength(body) });
  slow.send(body.slice(0, 10));
  while ((await health(narrow)).held_bytes === 0) await new Promise((r) => setTimeout(r, 5));
  const held = await health(narrow);
  assert.deepEqual([held.held_bytes, held.pending], [Buffer.byteLength(body), 0]);
  const refused = await post(narrow, batch(1));
  assert.equal(refused.status, 429);
  assert.match(refused.retryAfter ?? '', /^[1-9]\d*$/);
  assert.match(refused.body.error.message, /queue full: 0 items pending and about 9 in request bodies being read, limit 8/);
  slow.end(body.slice(10));
  const done = await slow.answer;
  assert.equal(done.status, 200);
  assert.deepEqual(done.body.results.map((r: Json) => r.score), Array(8).fill(1.25));
  assert.equal((await health(narrow)).held_bytes, 0, 'released once answered');
  assert.equal((await post(narrow, batch(1))).status, 200);

  // Chunked: no length announced; once 3,500 bytes arrived a 1,000-byte body would pass 4,096.
  const chunked = open(roomy, { 'transfer-encoding': 'chunked' });
  const long = batch(1, 3500);
  chunked.send(long.slice(0, 3500));
  while ((await health(roomy)).held_bytes < 3500) await new Promise((r) => setTimeout(r, 5));
  const busy = await post(roomy, batch(1, 1000));
  assert.equal(busy.status, 429);
  assert.match(busy.body.error.message, /busy: 3500 bytes of request bodies held, this one adds \d+, limit 4096/);
  chunked.end(long.slice(3500));
  assert.deepEqual((await chunked.answer).body.results.map((r: Json) => r.score), [1.25]);
  assert.equal((await post(roomy, batch(1, 1000))).status, 200);
  assert.equal((await health(roomy)).held_bytes, 0);
  const metrics = await (await fetch(`${roomy.url}/metrics`)).text();
  assert.match(metrics, /^rlvr_reward_held_bytes 0$/m);
  assert.match(metrics, /^rlvr_reward_requests_total\{route="\/score",status="429"\} 1$/m);
  await Promise.all([narrow.close(), roomy.close()]);
});

test('start-up refusals: non-loopback without a token, rewards needing logits, group rewards, token-counted overlong', async () => {
  await assert.rejects(startRewardService({ setup, host: '0.0.0.0', port: 0 }), (e: Error) => e instanceof UserError && /bearer token/.test(e.message));
  const refuse = (rewards: unknown, pattern: RegExp) => assert.throws(() => rewardServiceSetup({ rewards }, 'cfg.yaml'), (e: Error) => e instanceof UserError && pattern.test(e.message));
  refuse([{ name: 'self_certainty' }], /cfg.yaml: reward 'self_certainty' needs the policy's token logits/);
  refuse([{ name: 'majority_vote' }], /majority_vote' votes across a group/);
  refuse([{ name: 'overlong', config: { maxLength: 10, cacheLength: 5 } }], /unit: chars/);
  refuse([{ name: 'acuracy' }], /unknown reward 'acuracy'/);
  refuse([{ name: 'accuracy', weight: 'x' }], /rewards.0.weight/);
  assert.throws(() => rewardServiceSetup({ model: 'x' }, 'cfg.yaml'), /no 'rewards' section/);
  // A trainer config serves as is: its rewards section and extraction preset.
  const trainer = rewardServiceSetup((await import('yaml')).parse(readFileSync(new URL('../../examples/arithmetic/grpo.yaml', import.meta.url), 'utf8')), 'grpo.yaml');
  assert.deepEqual(trainer, { rewards: [{ name: 'accuracy', weight: 1, config: { extractors: 'gsm8k' } }], extractors: 'gsm8k' });
});
