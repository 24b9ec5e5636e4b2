import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { withoutAllocatorEnv } from '../util/allocator.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('../../scripts/torch_reference/bench.py', import.meta.url).pathname;

/**
 * Runs the PyTorch reference benchmark (scripts/torch_reference/bench.py) in the same run, so
 * ratios compare like with like on this machine. Null when Debian's python3-torch is not installed.
 */
export function torchReference(mode: string, args: string[] = []): { result: Record<string, unknown> | null; note: string } {
  if (!existsSync(PYTHON)) return { result: null, note: `${PYTHON} not found` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { result: null, note: 'torch is not importable by /usr/bin/python3 (apt-get install python3-torch libopenblas0-pthread)' };
  // PyTorch as its users run it: glibc's default allocator, not the CLI's settings
  const run = spawnSync(PYTHON, [SCRIPT, mode, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env: withoutAllocatorEnv(process.env) });
  if (run.status !== 0) return { result: null, note: `reference failed: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  const lastLine = run.stdout.trim().split('\n').pop() ?? '';
  return { result: JSON.parse(lastLine) as Record<string, unknown>, note: 'ok' };
}
