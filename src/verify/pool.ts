import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { VerifyOptions, VerifyResult } from './verify.ts';
import type { VerifyTask } from './worker.ts';

export interface PoolOptions {
  /** Worker threads; default: every core. */
  threads?: number;
  /** Wall-clock budget per pair, measured from dispatch to a free worker. */
  timeoutMs?: number;
  /** V8 old-generation limit per worker; a worker over it dies and its pair fails with "memory". */
  maxMemoryMb?: number;
}

export const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_MEMORY_MB = 256;

/**
 * Time- and memory-bounded verification on worker threads. Piscina terminates the worker that
 * runs an aborted task and starts a replacement, which is what a per-pair timeout needs. Its
 * abort clock starts at submission, so at most one task per thread is in flight: a task never
 * waits in Piscina's queue while its time runs.
 */
export class VerifierPool {
  private readonly pool: Piscina<VerifyTask | null, VerifyResult | null>;
  private readonly timeoutMs: number;
  readonly threads: number;
  /** Resolves once every worker has loaded its modules. */
  readonly ready: Promise<void>;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(opts: PoolOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.pool = new Piscina({
      filename: new URL('./worker.ts', import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      // Workers run TypeScript through tsx whether the parent was started by tsx's --import or its API.
      execArgv: ['--import', import.meta.resolve('tsx')],
      resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryMb ?? DEFAULT_MEMORY_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    });
    this.ready = Promise.all(Array.from({ length: this.threads }, () => this.pool.run(null))).then(() => undefined);
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

  /** Verifies one pair; never rejects: timeouts and worker deaths come back as correct: false. */
  async verify(gold: string, pred: string, options?: Partial<VerifyOptions>): Promise<VerifyResult> {
    await this.ready;
    await this.slot();
    try {
      const result = await this.pool.run({ gold, pred, options }, { signal: AbortSignal.timeout(this.timeoutMs) });
      return result ?? { correct: false, extracted: null, reason: 'worker returned nothing' };
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      if (e.name === 'AbortError') return { correct: false, extracted: null, reason: 'timeout' };
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') return { correct: false, extracted: null, reason: 'memory' };
      return { correct: false, extracted: null, reason: `worker error: ${e.message ?? String(err)}` };
    } finally {
      this.release();
    }
  }

  /** Verifies many pairs on all threads, in input order; `onResult` sees each as it completes. */
  verifyMany(
    pairs: ReadonlyArray<{ gold: string; pred: string }>,
    options?: Partial<VerifyOptions>,
    onResult?: (index: number, result: VerifyResult) => void,
  ): Promise<VerifyResult[]> {
    return Promise.all(
      pairs.map(async (p, i) => {
        const r = await this.verify(p.gold, p.pred, options);
        onResult?.(i, r);
        return r;
      }),
    );
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
