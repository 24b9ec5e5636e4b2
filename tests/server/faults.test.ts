/**
 * The fault drill against a real `rlvr serve-model` process: each bad request of the hardening
 * probe, then a normal request that must still succeed, with the process's memory measured
 * (/proc: resident set now and its peak) so that a request which makes the server build or
 * tokenize what it should refuse shows up as growth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeCharModelDir } from '../../src/model/init.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const modelDir = mkdtempSync(join(tmpdir(), 'rlvr-faults-'));
writeCharModelDir(modelDir, { seed: 11 });

/** Resident set now and at its peak, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** User + system CPU seconds of a process. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

interface Reply {
  status: number;
  body: string;
}

function send(
  port: number,
  target: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      { host: '127.0.0.1', port, path: target, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', (err) => (answered ? undefined : reject(err)));
    req.end(init.body);
    init.signal?.addEventListener('abort', () => req.destroy(new Error('the client left')));
  });
}

/**
 * A POST whose headers announce a body of `length` bytes and that sends none of it: the server
 * must refuse on the header. (A client that writes a refused body on gets its connection reset,
 * and node's client then reports the reset, not the answer.)
 */
function announceBody(port: number, length: number): Promise<Reply> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      const [head, text = ''] = received.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), body: text });
    });
    socket.write(
      `POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
    );
  });
}

const json = { 'content-type': 'application/json' };
const longRequest = (n = 1) =>
  JSON.stringify({ prompt: 'long', n, max_tokens: 2040, temperature: 0, ignore_eos: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once the process has used 0.1 s of CPU: the request sent before has reached the engine. */
async function busy(pid: number): Promise<void> {
  const start = cpuSeconds(pid);
  while (cpuSeconds(pid) - start < 0.1) await sleep(20);
}

/** Resolves once the process uses under 0.05 s of CPU in a quarter second; fails after `withinMs`. */
async function idle(pid: number, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const start = cpuSeconds(pid);
    await sleep(250);
    if (cpuSeconds(pid) - start < 0.05) return;
    assert.ok(performance.now() < deadline, `the server was still busy ${withinMs} ms after its client left`);
  }
}

test('serve-model survives every bad request of the probe: each is refused, a normal request then succeeds, memory stays bounded, SIGTERM ends it', async (t) => {
  const child = spawn(
    process.execPath,
    [
      rlvr,
      'serve-model',
      '--model',
      modelDir,
      '--port',
      '0',
      '--model-name',
      'tiny',
      '--grace-period',
      '0.3',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RLVR_THREADS: '1' } },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const first = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once('line', resolve),
    );
    const port = Number(/:(\d+)\/v1$/.exec(first)?.[1]);
    assert.ok(port > 0, first);
    const pid = child.pid!;
    const post = (body: string, headers: Record<string, string> = json) =>
      send(port, '/v1/completions', { method: 'POST', headers, body });
    const normal = async (label: string) => {
      const r = await post(JSON.stringify({ prompt: 'ok', max_tokens: 4, temperature: 0 }));
      assert.equal(r.status, 200, `a normal request after ${label}: ${r.body}`);
      assert.equal((JSON.parse(r.body) as { choices: unknown[] }).choices.length, 1);
    };
    await normal('start-up');
    await normal('start-up');
    const baseline = memory(pid);

    // bodies are built before the clock starts
    const manyPrompts = `{"prompt": [${Array(200_000).fill('[5]').join(',')}], "n": 256, "max_tokens": 1}`;
    const longPrompt = JSON.stringify({ prompt: 'a'.repeat(15_000_000) });
    const deep = `{"prompt": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const cases: Array<[string, () => Promise<Reply>, number, RegExp?]> = [
      ['request target //[', () => send(port, '//['), 404],
      ['a broken %-escape', () => send(port, '/v1/%E0%A4%A'), 400],
      ['200k prompts × n = 256 (1 MB)', () => post(manyPrompts), 400, /"param":"prompt"/],
      ['a 15 MB prompt', () => post(longPrompt), 400, /"param":"prompt"/],
      ['a 17 MB body (announced)', () => announceBody(port, 17_000_000), 413, /larger than 16777216 bytes/],
      ['JSON nested 100k deep', () => post(deep), 400, /nests deeper/],
      [
        'a form-encoded body',
        () => post('prompt=x', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
      ],
      [
        'Host of another site',
        () => send(port, '/v1/models', { headers: { host: `rebind.example:${port}` } }),
        403,
      ],
      [
        'logit_bias',
        () => post(JSON.stringify({ prompt: 'x', logit_bias: { '5': 100 } })),
        400,
        /"param":"logit_bias"/,
      ],
      [
        'temperature 1e-310',
        () => post(JSON.stringify({ prompt: 'abc', max_tokens: 6, temperature: 1e-310 })),
        200,
      ],
    ];
    const numbers: Record<string, string> = {};
    for (const [label, run, status, body] of cases) {
      const before = memory(pid);
      const start = performance.now();
      const r = await run();
      const ms = performance.now() - start;
      const after = memory(pid);
      assert.equal(r.status, status, `${label}: ${r.body.slice(0, 300)}`);
      if (body) assert.match(r.body, body, label);
      numbers[label] =
        `${r.status} in ${ms.toFixed(0)} ms, RSS ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MiB (peak ${after.peak.toFixed(0)})`;
      await normal(label);
    }

    // A client that leaves mid-generation (64 completions of ~2000 tokens: minutes of work): its
    // generation stops, so the process goes idle (CPU < 0.05 s in a quarter second) within seconds.
    const client = new AbortController();
    const left = send(port, '/v1/completions', {
      method: 'POST',
      headers: json,
      body: longRequest(64),
      signal: client.signal,
    });
    await busy(pid);
    client.abort();
    await assert.rejects(left);
    const leftAt = performance.now();
    await idle(pid, 10_000);
    numbers['idle after a client left'] = `${(performance.now() - leftAt).toFixed(0)} ms`;
    await normal('a client that disconnected');
    const end = memory(pid);
    for (const [k, v] of Object.entries(numbers)) t.diagnostic(`${k}: ${v}`);
    t.diagnostic(
      `RSS baseline ${baseline.rss.toFixed(0)} MiB, end ${end.rss.toFixed(0)} MiB, peak ${end.peak.toFixed(0)} MiB`,
    );
    // Refusing these requests costs their bodies (≤ 16 MiB, a few copies while parsing); building the
    // 51M rows or tokenizing the 15 MB prompt took gigabytes.
    assert.ok(end.peak - baseline.rss < 400, `peak RSS grew ${(end.peak - baseline.rss).toFixed(0)} MiB`);
    assert.ok(
      end.rss - baseline.rss < 200,
      `RSS stayed ${(end.rss - baseline.rss).toFixed(0)} MiB above the baseline`,
    );

    // SIGTERM with a request in flight: after the grace period it is cancelled (503) and the process exits 0.
    const inFlight = send(port, '/v1/completions', { method: 'POST', headers: json, body: longRequest() });
    await busy(pid);
    child.kill('SIGTERM');
    const r = await inFlight;
    assert.equal(r.status, 503, r.body);
    assert.match(r.body, /shutting down: generation was cancelled after the 300 ms grace period/);
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /SIGTERM: finishing requests in flight \(0\.3 s at most;/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
