import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALLOCATOR_ENV, withoutAllocatorEnv } from '../../src/util/allocator.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const shebang = readFileSync(rlvr, 'utf8').split('\n')[0];

test("bin/rlvr.mjs's shebang sets exactly the allocator settings of src/util/allocator.ts", () => {
  const match = /^#!\/usr\/bin\/env -S (.*) node$/.exec(shebang);
  assert.ok(match, `shebang: ${shebang}`);
  const assignments = Object.fromEntries(match[1].split(' ').map((a) => a.split('=') as [string, string]));
  assert.deepEqual(assignments, ALLOCATOR_ENV);
});

test('a process started as the kernel starts the shebang sees the settings, and the CLI runs through it', () => {
  // the kernel runs `/usr/bin/env "-S …" SCRIPT ARGS`; here the script is replaced by -e
  const split = shebang.slice('#!/usr/bin/env '.length);
  const seen = spawnSync('/usr/bin/env', [split, '-e', 'process.stdout.write(JSON.stringify(process.env))'], { encoding: 'utf8', env: withoutAllocatorEnv(process.env) });
  assert.equal(seen.status, 0, seen.stderr);
  const env = JSON.parse(seen.stdout) as Record<string, string>;
  for (const [key, value] of Object.entries(ALLOCATOR_ENV)) assert.equal(env[key], value, key);
  const cli = spawnSync(rlvr, ['--version'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, /^\d+\.\d+\.\d+/);
});

test('the PyTorch reference runs without the settings; everything else is kept', () => {
  const env = { PATH: '/bin', HOME: '/root', ...ALLOCATOR_ENV };
  assert.deepEqual(withoutAllocatorEnv(env), { PATH: '/bin', HOME: '/root' });
});
