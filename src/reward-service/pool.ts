import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { Worker } from 'node:worker_threads';
import type { ItemResult, ScoreItem, WorkerResult, WorkerSetup, WorkerTask } from './types.ts';
import { tsxWorkerExecArgv } from '../util/tsx-worker.ts';

export interface ScoringPoolOptions {
  setup: WorkerSetup;
  /** Worker threads; default: every core. */
  threads?: number;
  /** Wall-clock limit per item. */
  timeoutMs?: number;
  /** The score of an item that timed out or could not be scored. */
  fallbackScore?: number;
  /** Most items sent to a worker in one task (amortizes the thread round trip). */
  chunkSize?: number;
  /** V8 old-generation limit per worker; a worker over it dies and its items are retried. */
  maxMemoryMb?: number;
  /** How long a (re)starting worker may take to load before its task counts as failed. */
  startupTimeoutMs?: number;
}

/** Things that happened to items and workers, for the service's metrics. */
export interface PoolCounters {
  timeouts: number;
  errors: number;
  workerRestarts: number;
  retries: number;
  /** Items answered, for the drain-rate estimate behind Retry-After. */
  answered: number;
}

interface Pending {
  item: ScoreItem;
  /** 1 after the item was on a worker that crashed. */
  attempt: number;
  resolve: (r: ItemResult) => void;
}

const DEFAULTS = { timeoutMs: 2000, fallbackScore: 0, chunkSize: 16, maxMemoryMb: 256, startupTimeoutMs: 30_000 };

/**
 * Scores items on worker threads under a per-item wall-clock limit. Items from all requests
 * share one queue; a free worker takes up to `chunkSize` of them, so concurrent small
 * requests are batched under load and a lone request is dispatched at once.
 *
 * A watchdog reads which item each busy worker is on (shared memory); one item past the
 * limit gets its worker terminated (Piscina starts a replacement), the item answers with the
 * fallback score and `timeout: true`, and the task's other items go back to the queue front.
 * A worker that dies on its own (crash, memory limit) has its item retried once, then that
 * item answers with the fallback score and the error. `score` never rejects.
 */
export class ScoringPool {
  private readonly pool: Piscina<WorkerTask | null, WorkerResult[]>;
  readonly threads: number;
  readonly timeoutMs: number;
  private readonly fallbackScore: number;
  private readonly chunkSize: number;
  private readonly startupTimeoutMs: number;
  private readonly componentNames: string[];
  private readonly queue: Pending[] = [];
  private busy = 0;
  private inFlightItems = 0;
  private closed = false;
  readonly counters: PoolCounters = { timeouts: 0, errors: 0, workerRestarts: 0, retries: 0, answered: 0 };
  /** Resolves once every worker has loaded. */
  readonly ready: Promise<void>;

  constructor(opts: ScoringPoolOptions) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    this.timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    this.fallbackScore = opts.fallbackScore ?? DEFAULTS.fallbackScore;
    this.chunkSize = Math.max(1, opts.chunkSize ?? DEFAULTS.chunkSize);
    this.startupTimeoutMs = opts.startupTimeoutMs ?? DEFAULTS.startupTimeoutMs;
    this.componentNames = opts.setup.rewards.map((r) => r.name);
    this.pool = new Piscina({
      filename: new URL('./worker.ts', import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Infinity,
      workerData: opts.setup,
      execArgv: tsxWorkerExecArgv(),
      // An 8 MB young generation per worker: with 32 MB the two workers' nurseries alone added
      // ~55 MB to the service's peak RSS under load, for no measurable throughput (bench rewards).
      resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryMb ?? DEFAULTS.maxMemoryMb, maxYoungGenerationSizeMb: 8, stackSizeMb: 4 },
    });
    // A worker dying outside a task is replaced by Piscina; unhandled, the event would kill the process.
    this.pool.on('error', () => this.counters.workerRestarts++);
    this.ready = Promise.all(Array.from({ length: this.threads }, () => this.pool.run(null))).then(() => undefined);
  }

  /** Items waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Items accepted and not yet answered (waiting or on a worker). */
  get pending(): number {
    return this.queue.length + this.inFlightItems;
  }

  /** The live worker threads (operators and fault tests may terminate one; it is replaced). */
  get workers(): readonly Worker[] {
    return this.pool.threads;
  }

  /** One result per item, in order; never rejects. */
  score(items: readonly ScoreItem[]): Promise<ItemResult[]> {
    if (this.closed) throw new Error('scoring pool is closed');
    const results = items.map(
      (item) =>
        new Promise<ItemResult>((resolve) =>
          this.queue.push({
            item,
            attempt: 0,
            resolve: (r) => {
              this.counters.answered++;
              resolve(r);
            },
          }),
        ),
    );
    this.pump();
    return Promise.all(results);
  }

  private pump(): void {
    while (this.busy < this.threads && this.queue.length > 0) {
      // Split a short queue evenly over the threads rather than giving it all to one worker.
      const take = Math.min(this.chunkSize, Math.ceil(this.queue.length / this.threads));
      const chunk = this.queue.splice(0, take);
      this.busy++;
      this.inFlightItems += chunk.length;
      void this.runChunk(chunk).finally(() => {
        this.busy--;
        this.inFlightItems -= chunk.length;
        this.pump();
      });
    }
  }

  private fallback(reason: string, fields: Partial<ItemResult>): ItemResult {
    const components = Object.fromEntries(this.componentNames.map((n) => [n, 0]));
    return { score: this.fallbackScore, components, correct: false, extracted: '', reason, timeout: false, error: '', ...fields };
  }

  private finish(p: Pending, r: WorkerResult): void {
    const { ms, ...result } = r;
    if (ms > this.timeoutMs) {
      this.counters.timeouts++;
      p.resolve(this.fallback(`timeout: scoring took ${Math.round(ms)} ms, over the ${this.timeoutMs} ms limit`, { timeout: true }));
    } else if (result.error !== '') {
      this.counters.errors++;
      p.resolve(this.fallback(result.reason, { error: result.error }));
    } else {
      p.resolve(result);
    }
  }

  private async runChunk(chunk: Pending[]): Promise<void> {
    const progress = new Int32Array(new SharedArrayBuffer(4));
    progress[0] = -1;
    const abort = new AbortController();
    let seen = -1;
    let since = performance.now();
    let timedOut = -1;
    const watchdog = setInterval(() => {
      const at = Atomics.load(progress, 0);
      const now = performance.now();
      if (at !== seen) {
        seen = at;
        since = now;
      } else if (now - since > (at < 0 ? this.startupTimeoutMs : this.timeoutMs)) {
        timedOut = at;
        abort.abort();
      }
    }, Math.max(5, Math.min(100, this.timeoutMs / 10)));
    try {
      const results = await this.pool.run({ items: chunk.map((p) => p.item), progress: progress.buffer as SharedArrayBuffer, timeoutMs: this.timeoutMs }, { signal: abort.signal });
      chunk.forEach((p, i) => this.finish(p, results[i]));
    } catch (err) {
      this.counters.workerRestarts++;
      const at = timedOut >= 0 || abort.signal.aborted ? timedOut : Atomics.load(progress, 0);
      const requeue: Pending[] = [];
      chunk.forEach((p, i) => {
        if (abort.signal.aborted && (i === at || at < 0)) {
          this.counters.timeouts++;
          const why = at < 0 ? `worker did not start within ${this.startupTimeoutMs} ms` : `over the ${this.timeoutMs} ms limit`;
          p.resolve(this.fallback(`timeout: ${why}`, { timeout: true }));
        } else if (!abort.signal.aborted && (i === at || at < 0)) {
          if (p.attempt === 0) {
            this.counters.retries++;
            requeue.push({ ...p, attempt: 1 });
          } else {
            this.counters.errors++;
            const message = `worker died twice on this item: ${(err as Error).message ?? String(err)}`;
            p.resolve(this.fallback(message, { error: message }));
          }
        } else {
          requeue.push(p);
        }
      });
      this.queue.unshift(...requeue);
    } finally {
      clearInterval(watchdog);
    }
  }

  /** Answers everything accepted, then stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending > 0) await new Promise((r) => setTimeout(r, 10));
    await this.pool.destroy();
  }
}
