import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { VerifyOptions, VerifyResult } from './verify.ts';
import type { TimedResult, VerifyTask } from './worker.ts';

export interface PoolOptions {
  /** Worker threads; default: every core. */
  threads?: number;
  /** Wall-clock budget per pair. */
  timeoutMs?: number;
  /** V8 old-generation limit per worker; a worker over it dies and its pair fails with "memory". */
  maxMemoryMb?: number;
  /**
   * Pairs sent to a worker in one message by verifyMany (amortizes the thread round trip).
   * Larger chunks were measured (batch / (4 × threads), up to 256): no faster, and a worse p99,
   * as garbage collection then falls inside pairs rather than between tasks.
   */
  chunkSize?: number;
  /** How long the first tasks wait for workers to load before their own clocks start anyway. */
  startupTimeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_MEMORY_MB = 256;
const DEFAULT_CHUNK = 16;
const DEFAULT_STARTUP_MS = 10_000;

type Pair = { gold: string; pred: string };

/**
 * Time- and memory-bounded verification on worker threads, built on Piscina: aborting a running
 * task terminates its worker and Piscina starts a replacement, which is what a hard timeout
 * needs. Piscina's abort clock starts at submission, so at most one task per thread is in
 * flight and no task waits in its queue while its time runs.
 *
 * Pairs travel in chunks of `chunkSize` (fewer thread round trips); inside the worker each pair is timed, one
 * over timeoutMs is run once more and then reported as a timeout, and a watchdog kills the worker
 * when one attempt runs past 2 × timeoutMs, whatever the chunk's size. A chunk that is killed
 * (watchdog or memory) is re-run one pair per task, so only the offending pair fails.
 */
export class VerifierPool {
  private readonly pool: Piscina<VerifyTask | null, TimedResult[]>;
  private readonly timeoutMs: number;
  private readonly chunkSize: number;
  readonly threads: number;
  /** Resolves once every worker has loaded its modules. */
  readonly ready: Promise<void>;
  private readonly startupTimeoutMs: number;
  /** Why workers last died outside a task; reported for tasks that then run out of time. */
  private workerFailure: string | null = null;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(opts: PoolOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.chunkSize = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK);
    this.startupTimeoutMs = opts.startupTimeoutMs ?? DEFAULT_STARTUP_MS;
    this.pool = new Piscina({
      filename: new URL('./worker.ts', import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      // Workers run TypeScript through tsx whether the parent was started by tsx's --import or its API.
      execArgv: ['--import', import.meta.resolve('tsx')],
      resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryMb ?? DEFAULT_MEMORY_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    // A worker that dies outside a task (e.g. out of memory while loading) is replaced by
    // Piscina; without a listener its 'error' event would crash the whole process.
    this.pool.on('error', (err: { code?: string; message?: string }) => {
      this.workerFailure = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : `worker error: ${err.message ?? String(err)}`;
    });
    // A worker that cannot start shows up as its tasks' failure reason; `ready` never rejects.
    this.ready = Promise.allSettled(Array.from({ length: this.threads }, () => this.pool.run(null))).then(() => undefined);
  }

  private async warm(): Promise<void> {
    await this.startup(this.pool.run(null).catch(() => undefined));
  }

  /** Waits for `p`, or for the start-up budget; the timer is referenced so the wait always ends. */
  private async startup(p: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p, new Promise((resolve) => (timer = setTimeout(resolve, this.startupTimeoutMs)))]);
    clearTimeout(timer);
  }

  private async slot(): Promise<void> {
    if (this.inFlight < this.threads) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }

  /** Runs one chunk; a killed worker or failed task yields the failure's reason. */
  private async runChunk(pairs: Pair[], options?: Partial<VerifyOptions>): Promise<TimedResult[] | { failed: string }> {
    await this.startup(this.ready);
    await this.slot();
    // Watchdog: the worker stamps when each attempt at a pair starts; an attempt past twice the
    // limit (the worker itself reports one past the limit as a timeout, after one retry) is
    // killed. A task that has not started within the start-up budget is killed too. The timer
    // is referenced (AbortSignal.timeout's is not), so the process stays alive until the task settles.
    const abort = new AbortController();
    const clock = new SharedArrayBuffer(8);
    const stamp = new Float64Array(clock);
    const submitted = performance.timeOrigin + performance.now();
    const timer = setInterval(
      () => {
        const now = performance.timeOrigin + performance.now();
        const started = stamp[0];
        if (started < 0) return;
        if (started > 0 ? now - started > 2 * this.timeoutMs : now - submitted > this.startupTimeoutMs + this.timeoutMs) abort.abort();
      },
      Math.max(5, this.timeoutMs / 8),
    );
    let released = false;
    try {
      const task: VerifyTask = { pairs, options, timeoutMs: this.timeoutMs, clock };
      const results = await this.pool.run(task, { signal: abort.signal });
      this.workerFailure = null;
      return results;
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      // Keep the slot until the replacement worker has loaded and warmed up, so that the next
      // task's clock does not run while it starts; this pair's answer need not wait for it.
      released = true;
      void this.warm().finally(() => this.release());
      if (e.name === 'AbortError') return { failed: this.workerFailure ?? 'timeout' };
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') return { failed: 'memory' };
      return { failed: `worker error: ${e.message ?? String(err)}` };
    } finally {
      clearInterval(timer);
      if (!released) this.release();
    }
  }

  /** One pair with its time from dispatch to verdict; never rejects. */
  async verifyTimed(gold: string, pred: string, options?: Partial<VerifyOptions>): Promise<TimedResult> {
    const r = await this.runChunk([{ gold, pred }], options);
    return 'failed' in r ? { correct: false, extracted: null, reason: r.failed, ms: NaN } : r[0];
  }

  /** Verifies one pair; timeouts and worker deaths come back as correct: false with the reason. */
  async verify(gold: string, pred: string, options?: Partial<VerifyOptions>): Promise<VerifyResult> {
    const { correct, extracted, reason } = await this.verifyTimed(gold, pred, options);
    return { correct, extracted, reason };
  }

  /** Verifies many pairs on all threads, in input order; `onResult` sees each chunk's pairs as they complete. */
  async verifyMany(
    pairs: readonly Pair[],
    options?: Partial<VerifyOptions>,
    onResult?: (index: number, result: TimedResult) => void,
  ): Promise<TimedResult[]> {
    const out = new Array<TimedResult>(pairs.length);
    const chunks: number[] = [];
    for (let i = 0; i < pairs.length; i += this.chunkSize) chunks.push(i);
    await Promise.all(
      chunks.map(async (start) => {
        const slice = pairs.slice(start, start + this.chunkSize);
        const r = await this.runChunk(slice, options);
        const results = 'failed' in r ? await Promise.all(slice.map((p) => this.verifyTimed(p.gold, p.pred, options))) : r;
        results.forEach((res, k) => {
          out[start + k] = res;
          onResult?.(start + k, res);
        });
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
