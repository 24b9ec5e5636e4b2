/** Resumable phases: a phase's JSON output records the settings it was computed with; equal settings → reuse it. */
import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomic } from '../util/atomic.ts';

export async function cachedPhase<C, T extends { config: C }>(path: string, config: C, compute: () => Promise<T>): Promise<{ result: T; reused: boolean }> {
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as T;
    if (isDeepStrictEqual(stored.config, JSON.parse(JSON.stringify(config)))) return { result: stored, reused: true };
  }
  const result = await compute();
  writeFileAtomic(path, JSON.stringify(result, null, 2) + '\n');
  return { result, reused: false };
}
