import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { RunSummary } from '../../src/dashboard/run-state.ts';
import { buildDashboardApp } from '../../src/dashboard/server.ts';
import { writeAllKinds, writeBrokenRuns } from './fixtures.ts';
import { snapshotTree } from './tree.ts';

let dir: string;
let root: string;
let ids: Record<string, string>;
let broken: Record<string, string>;
let app: FastifyInstance;
const HOST = { host: '127.0.0.1:8787' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rlvr-dashboard-api-'));
  root = join(dir, 'runs');
  ids = await writeAllKinds(root);
  broken = writeBrokenRuns(root);
  app = buildDashboardApp({ root, host: '127.0.0.1', port: 0, rescanMs: 0 });
});

after(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = HOST) =>
  app.inject({ method: 'GET', url, headers });

test('discovery: every run of every kind, nested layouts with their parents', async () => {
  const r = await get('/api/runs');
  assert.equal(r.statusCode, 200);
  const runs = (r.json() as { runs: RunSummary[] }).runs;
  const byId = new Map(runs.map((x) => [x.id, x]));
  assert.deepEqual(
    runs.map((x) => x.id).sort(),
    [
      ...Object.values(ids),
      ...Object.values(broken),
      'demo/spurious/eval/initial/suspect',
      'demo/spurious/runs/ground_truth',
      'demo/spurious/runs/random',
      'suite/runs/ground_truth',
    ].sort(),
  );
  assert.equal(byId.get('demo/spurious')?.parent, 'demo');
  assert.equal(byId.get('demo/spurious/runs/random')?.parent, 'demo/spurious');
  assert.equal(byId.get(ids.suiteEval)?.parent, 'suite');
  assert.equal(byId.get(ids.grpo)?.parent, null);
  // config summaries and last metrics come from the files
  const grpo = byId.get(ids.grpo)!;
  assert.deepEqual(grpo.config, {
    model: 'qwen2-tiny',
    algorithm: 'grpo',
    reward: 'accuracy + boxed_format×0.2',
    seed: 0,
    data: 'arithmetic',
  });
  assert.equal(grpo.progress, 'step 12 of 40');
  const evalRun = byId.get(ids.eval)!;
  const results = (await get(`/api/run?id=${encodeURIComponent(ids.eval)}`)).json().documents['results.json'];
  assert.equal(evalRun.metrics['pass@1'], results.metrics['pass@1'].value);
  assert.equal(byId.get(ids.evalRunning)?.progress, '5 samples so far');
  assert.equal(byId.get(ids.suite)?.metrics.verdict, 'signal_matters');
  assert.equal(byId.get(ids.contamination)?.metrics.auroc_rouge_l, 1);
  assert.equal(byId.get(ids.contamination)?.progress, '10 items');
  // the demo's probe summary has another shape: items from its config, the model from config.model
  assert.equal(byId.get(ids.demoContamination)?.progress, '10 items');
  assert.equal(byId.get(ids.demoContamination)?.config.model, 'organism');
  assert.equal(
    byId.get(ids.demoContamination)?.metrics.rouge_l,
    byId.get(ids.contamination)?.metrics.rouge_l,
  );
});

test('status: finished from the step count or the final file; running until the last write is older than the active window', async () => {
  const stale = buildDashboardApp({ root, host: '127.0.0.1', port: 0, activeMs: 0 });
  const runs = (await stale.inject({ method: 'GET', url: '/api/runs', headers: HOST })).json()
    .runs as RunSummary[];
  const status = (id: string) => runs.find((r) => r.id === id)?.status;
  assert.equal(status(ids.grpo), 'interrupted', '12 of 40 steps, no recent write');
  assert.equal(status(ids.evalRunning), 'interrupted');
  assert.equal(status(ids.sft), 'finished');
  assert.equal(status(ids.eval), 'finished');
  assert.equal(status(ids.suite), 'finished');
  await stale.close();
  assert.equal(
    ((await get('/api/runs')).json().runs as RunSummary[]).find((r) => r.id === ids.grpo)?.status,
    'running',
  );
});

test('metrics are served from a cursor: only rows after it', async () => {
  const all = (await get(`/api/metrics?id=${encodeURIComponent(ids.grpo)}`)).json().metrics;
  assert.equal(all.from, 0);
  assert.equal(all.next, 12);
  assert.deepEqual(all.columns.step, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(
    all.columns.val_accuracy.map((v: number | null) => v !== null),
    all.columns.step.map((s: number) => s === 10),
  );
  const tail = (await get(`/api/metrics?id=${encodeURIComponent(ids.grpo)}&from=10`)).json().metrics;
  assert.deepEqual(tail.columns.step, [11, 12]);
  assert.deepEqual(tail.columns.reward_mean, all.columns.reward_mean.slice(10));
  assert.equal(
    (await get(`/api/metrics?id=${encodeURIComponent(ids.eval)}`)).json().metrics,
    null,
    'an evaluation has no curves',
  );
});

test('only discovered run ids and listed files can be read: no path reaches outside the runs', async () => {
  for (const url of [
    '/api/run?id=..',
    '/api/run?id=../..',
    `/api/run?id=${encodeURIComponent(join(root, ids.grpo))}`,
    `/api/run?id=${encodeURIComponent(ids.grpo + '/checkpoints')}`,
    `/api/samples?id=${encodeURIComponent('../' + ids.grpo)}&source=rollouts`,
    `/api/json?id=${encodeURIComponent(ids.other)}&file=${encodeURIComponent('../../../../etc/passwd')}`,
    `/api/json?id=${encodeURIComponent(ids.grpo)}&file=config.yaml`,
    '/assets/..%2F..%2Fpackage.json',
    '/assets/server.ts',
    '/../package.json',
  ])
    assert.equal((await get(url)).statusCode, 404, url);
  const other = (await get(`/api/json?id=${encodeURIComponent(ids.other)}&file=logit_lens.json`)).json();
  assert.equal(other.value.schema, 'rlvr-interp-lens/1');
  assert.deepEqual((await get(`/api/run?id=${encodeURIComponent(ids.other)}`)).json().otherJson, [
    'logit_lens.json',
  ]);
});

test('bad queries are refused with 400 naming the field', async () => {
  const base = `/api/samples?id=${encodeURIComponent(ids.grpo)}&source=rollouts`;
  for (const [q, field] of [
    ['&limit=0', 'limit'],
    ['&limit=abc', 'limit'],
    ['&order=sideways', 'order'],
    ['&correct=maybe', 'correct'],
    ['&cursor=-5', 'cursor'],
  ]) {
    const r = await get(base + q);
    assert.equal(r.statusCode, 400, q);
    assert.match(r.json().message, new RegExp(field), q);
  }
  assert.equal((await get('/api/run')).statusCode, 400);
  assert.equal((await get(`/api/samples?id=${encodeURIComponent(ids.grpo)}&source=nope`)).statusCode, 404);
});

test('loopback binds answer loopback host names only; a token guards other binds', async () => {
  assert.equal((await get('/api/runs', { host: 'evil.example:8787' })).statusCode, 403, 'DNS rebinding');
  assert.equal((await get('/api/runs', { host: 'localhost:8787' })).statusCode, 200);
  const open = buildDashboardApp({ root, host: '0.0.0.0', port: 0, token: 's3cret-token' });
  const req = (url: string, headers: Record<string, string> = {}) =>
    open.inject({ method: 'GET', url, headers: { host: '10.0.0.5:8787', ...headers } });
  assert.equal((await req('/api/runs')).statusCode, 401);
  assert.equal((await req('/')).statusCode, 401);
  assert.equal((await req('/?token=wrong')).statusCode, 401);
  const first = await req('/?token=s3cret-token');
  assert.equal(first.statusCode, 200);
  const cookie = String(first.headers['set-cookie']).split(';')[0];
  assert.equal((await req('/api/runs', { cookie })).statusCode, 200);
  await open.close();
});

test('browsing everything writes nothing into the run directories', async () => {
  const before = snapshotTree(root);
  const runs = (await get('/api/runs')).json().runs as RunSummary[];
  for (const r of runs) {
    const id = encodeURIComponent(r.id);
    const detail = (await get(`/api/run?id=${id}`)).json();
    await get(`/api/metrics?id=${id}`);
    for (const s of detail.sources)
      await get(`/api/samples?id=${id}&source=${encodeURIComponent(s.name)}&q=x`);
  }
  assert.deepEqual(snapshotTree(root), before);
});

test('CLI: bad flags are one-line errors with exit 2; a started dashboard serves and stops on SIGTERM', async () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/rlvr.mjs', 'dashboard', ...args], { encoding: 'utf8' });
  for (const [args, message] of [
    [['--dir', root, '--host', '0.0.0.0'], /--host 0\.0\.0\.0 is not a loopback address.*--token/],
    [['--dir', join(dir, 'absent')], /--dir .*absent: no such directory/],
    [['--dir', root, '--port', 'abc'], /port/],
    [['--dir', root, '--host', '0.0.0.0', '--token', 'short'], /--token: use at least 8 characters/],
  ] as const) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  const child = spawn(process.execPath, ['bin/rlvr.mjs', 'dashboard', '--dir', root, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = / at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const r = await fetch(url + 'api/runs');
  assert.equal(r.status, 200);
  assert.ok(((await r.json()) as { runs: unknown[] }).runs.length > 10);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
});
