import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { rewardServiceSetup } from '../../src/reward-service/config.ts';
import { startRewardService, type RewardService } from '../../src/reward-service/server.ts';

/** Debian's interpreter on purpose: the clients may use the standard library only (no pip). */
const PYTHON = '/usr/bin/python3';
const TOKEN = 'client-token';
const setup = rewardServiceSetup({ rewards: [{ name: 'accuracy', weight: 1 }, { name: 'boxed_format', weight: 0.25 }] }, 'test');

let svc: RewardService;
before(async () => {
  svc = await startRewardService({ setup, threads: 2, timeoutMs: 20_000, token: TOKEN });
});
after(() => svc.close());

test('the verl and TRL clients score through the live service with the standard library only', async () => {
  const script = fileURLToPath(new URL('./python/check_clients.py', import.meta.url));
  // -I: isolated mode, no user site-packages or PYTHON* variables, so a pip install cannot help.
  const { stdout } = await promisify(execFile)(PYTHON, ['-I', script], {
    env: { RLVR_REWARD_URL: svc.url, RLVR_REWARD_TOKEN: TOKEN, RLVR_REWARD_RETRIES: '0', PATH: '/usr/bin:/bin' },
    timeout: 120_000,
  });
  assert.match(stdout, /python clients: \d+ checks passed/);
  const metrics = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  // verl: 2 single + 20 async + 4 (11 items in requests of 3); the list-valued gold was refused with 400
  assert.match(metrics, /^rlvr_reward_requests_total\{route="\/score",status="200"\} 26$/m);
  assert.match(metrics, /^rlvr_reward_requests_total\{route="\/v1\/rewards",status="200"\} 3$/m);
});
