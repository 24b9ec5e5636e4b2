/**
 * Runs the reward service on a worker thread with a bounded V8 heap. On the main thread V8
 * sizes its heap against a limit of a quarter of the machine's memory (up to ~4 GB) and collects lazily:
 * under a burst of 256-item requests its old generation filled with ~130 MB of request bodies
 * already answered before a full collection ran. A thread's `resourceLimits` give the HTTP side
 * an old-generation limit that V8 collects well ahead of; admission (admission.ts) bounds what
 * the thread holds alive, and the limit is sized from the admission limits.
 */
import { Worker } from 'node:worker_threads';
import { UserError } from '../util/errors.ts';
import { SERVICE_DEFAULTS } from './defaults.ts';
import type { RewardServiceOptions } from './server.ts';
import { tsxWorkerExecArgv } from '../util/tsx-worker.ts';

export type ThreadMessage =
  | { kind: 'listening'; url: string; threads: number }
  | { kind: 'failed'; message: string; user: boolean; stack: string };

export interface ServiceThread {
  readonly url: string;
  readonly threads: number;
  /** Resolves when the thread has ended; rejects if it died (e.g. out of memory). */
  readonly ended: Promise<void>;
  /** Graceful: answers requests in flight, then stops. */
  close(): Promise<void>;
}

/** The service thread's V8 limits in MB, from the memory its admission lets it hold. */
export function serviceHeapLimits(opts: RewardServiceOptions): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const held = Math.max(opts.maxHeldBytes ?? SERVICE_DEFAULTS.maxHeldBytes, opts.maxBodyBytes ?? SERVICE_DEFAULTS.maxBodyBytes) / 2 ** 20;
  // Modules ~25 MB, with room; a body is held as its text while parsed, then as its strings (twice
  // its bytes for non-Latin-1 text), plus the answer; a pending item ~1 kB besides its text.
  const old = Math.ceil(64 + 4 * held + (opts.maxQueue ?? SERVICE_DEFAULTS.maxQueue) / 1024);
  // A young generation near the main thread's default: 8 MB cut the peak RSS under the
  // bench by another ~25 MB but cost 20–40 % more CPU per request in garbage collection.
  return { maxOldGenerationSizeMb: old, maxYoungGenerationSizeMb: 32 };
}

export function startServiceThread(opts: RewardServiceOptions): Promise<ServiceThread> {
  const worker = new Worker(new URL('./thread-stub.cjs', import.meta.url), {
    workerData: opts,
    execArgv: tsxWorkerExecArgv(),
    resourceLimits: serviceHeapLimits(opts),
  });
  const ended = new Promise<void>((resolve, reject) => {
    worker.once('error', (err) => reject(new Error(`reward service thread failed: ${err.message}`, { cause: err })));
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`reward service thread exited with code ${code}`))));
  });
  return new Promise((resolve, reject) => {
    ended.catch(reject);
    worker.once('message', (m: ThreadMessage) => {
      if (m.kind === 'failed') {
        const err = m.user ? new UserError(m.message) : Object.assign(new Error(m.message), { stack: m.stack });
        reject(err);
        return;
      }
      resolve({
        url: m.url,
        threads: m.threads,
        ended,
        close: () => {
          worker.postMessage('close');
          return ended;
        },
      });
    });
  });
}
