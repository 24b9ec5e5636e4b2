import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { rewardServiceSetup } from '../../src/reward-service/config.ts';
import { serviceHeapLimits } from '../../src/reward-service/thread.ts';

const rlvr = fileURLToPath(new URL('../../bin/rlvr.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rlvr-serve-rewards-'));
const config = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const good = config('good.yaml', 'rewards:\n  - { name: accuracy, weight: 1 }\n');

async function refused(args: string[]): Promise<string> {
  const r = await promisify(execFile)(process.execPath, [rlvr, 'serve-rewards', ...args]).then(
    () => assert.fail('serve-rewards started'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line, no stack: ${r.stderr}`);
  return r.stderr;
}

test('serve-rewards refuses, in one line with exit 2: off-loopback without a token, logit rewards, bad flags', async () => {
  assert.match(await refused(['--config', good, '--host', '0.0.0.0', '--port', '0']), /--host 0.0.0.0 exposes the service .* bearer token/);
  assert.match(await refused(['--config', config('sc.yaml', 'rewards:\n  - { name: self_certainty }\n'), '--port', '0']), /sc.yaml: reward 'self_certainty' needs the policy's token logits/);
  assert.match(await refused(['--config', good, '--timeout-ms', '0']), /--timeout-ms must be a positive integer, got '0'/);
  assert.match(await refused(['--config', good, '--port', '0', '--max-body-mb', '8', '--max-held-mb', '4']), /--max-held-mb \(4\) is below --max-body-mb \(8\)/);
  assert.match(await refused(['--config', join(dir, 'missing.yaml')]), /cannot read config .*missing.yaml/);
});

test('serve-rewards serves until SIGTERM, then exits 0', async () => {
  const child = spawn(process.execPath, [rlvr, 'serve-rewards', '--config', good, '--port', '0', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving rewards accuracy×1 at (http:\/\/127\.0\.0\.1:\d+) \(1 workers\)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(`exited early: ${out}`)));
  });
  const r = await fetch(`${url}/get_reward`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: ['\\boxed{4}'], labels: ['4'] }) });
  assert.deepEqual(((await r.json()) as { rewards: number[] }).rewards, [1]);
  // It serves from its own thread, whose heap limit is sized from the admission limits (not the main thread's quarter of RAM).
  const { heap_limit_mb: limit } = (await (await fetch(`${url}/health`)).json()) as { heap_limit_mb: number };
  const { maxOldGenerationSizeMb: old, maxYoungGenerationSizeMb: young } = serviceHeapLimits({ setup: rewardServiceSetup({ rewards: [{ name: 'accuracy' }] }, 'x') });
  assert.ok(limit >= old && limit <= old + 2 * young, `heap limit ${limit} MB, want ${old} MB old + a ${young} MB young generation`);
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 0);
});
