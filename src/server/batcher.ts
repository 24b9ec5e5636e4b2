/**
 * Dynamic batching for the embedded engine: rows (one prompt's one sample) submitted by
 * concurrent callers within a short window, or while the engine is busy, run as one generate
 * call. Each row keeps its own sampler (seed, prompt index, sample index), so a row's completion
 * does not depend on what shared its batch.
 */
import type { Completion, SamplingParams } from '../backends/policy.ts';
import type { CausalLM } from '../model/causal-lm.ts';
import { generateIds } from '../model/generate.ts';
import { rowRng } from '../model/sampling.ts';

/** One completion to produce: the prompt's tokens and the (seed, prompt index, sample index) of its sampler. */
export interface BatchRow {
  tokens: readonly number[];
  seed: number;
  promptIndex: number;
  sampleIndex: number;
}

/** Sampling settings shared by every row of a batch (seed and n are per row). */
export type RowSampling = Omit<SamplingParams, 'seed' | 'n'> & {
  /** Keep generating past EOS (vLLM's ignore_eos). */
  ignoreEos?: boolean;
};

export interface BatcherOptions {
  /** How long the first request waits for others when the engine is idle; default 2 ms. */
  windowMs?: number;
  /** Most rows per generate call; default 32. 1 turns batching off. */
  maxBatch?: number;
}

interface Job {
  rows: readonly BatchRow[];
  sampling: RowSampling;
  key: string;
  signal: AbortSignal | undefined;
  resolve(completions: Completion[]): void;
  reject(err: unknown): void;
}

export interface BatcherStats {
  /** generate calls made. */
  batches: number;
  rows: number;
  /** Decode steps run (one token for every active row of a batch). */
  steps: number;
  /** Rows whose caller gave up (aborted) before they finished. */
  cancelledRows: number;
}

export class GenerationBatcher {
  readonly windowMs: number;
  readonly maxBatch: number;
  private readonly queue: Job[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  readonly stats: BatcherStats = { batches: 0, rows: 0, steps: 0, cancelledRows: 0 };

  constructor(
    private readonly lm: CausalLM,
    opts: BatcherOptions = {},
  ) {
    this.windowMs = opts.windowMs ?? 2;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 32);
  }

  /**
   * Completions of `rows`, in row order (`promptIndex`/`sampleIndex` as given). When `signal`
   * aborts, the promise rejects at once with its reason; a queued job leaves the queue, a running
   * one's rows are no longer sampled from the next decode step on (the rest of their batch goes on;
   * a batch whose rows are all gone ends there).
   */
  submit(rows: readonly BatchRow[], sampling: RowSampling, signal?: AbortSignal): Promise<Completion[]> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (rows.length === 0) return Promise.resolve([]);
    const key = JSON.stringify([
      sampling.maxNewTokens,
      sampling.temperature,
      sampling.topP,
      sampling.topK,
      sampling.stop,
      sampling.ignoreEos ?? false,
    ]);
    return new Promise((resolve, reject) => {
      // A queued job leaves the queue; a running one's rows are dropped by generateIds at its next step.
      const onAbort = () => {
        const at = this.queue.indexOf(job);
        if (at >= 0) this.queue.splice(at, 1);
        this.stats.cancelledRows += rows.length;
        reject(signal!.reason);
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const job: Job = {
        rows,
        sampling,
        key,
        signal,
        resolve: (c) => (done(), resolve(c)),
        reject: (e) => (done(), reject(e)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.timer) return;
    const queued = this.queue.reduce((n, j) => n + j.rows.length, 0);
    if (queued >= this.maxBatch || this.windowMs <= 0) {
      void this.runNext();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runNext();
    }, this.windowMs);
  }

  /** Runs the head job together with every queued job of the same sampling settings that fits. */
  private async runNext(): Promise<void> {
    const head = this.queue[0];
    if (!head) return;
    this.running = true;
    const jobs: Job[] = [];
    let size = 0;
    for (let i = 0; i < this.queue.length;) {
      const job = this.queue[i];
      if (job.key === head.key && (jobs.length === 0 || size + job.rows.length <= this.maxBatch)) {
        jobs.push(job);
        size += job.rows.length;
        this.queue.splice(i, 1);
      } else i++;
    }
    const rows = jobs.flatMap((j) => j.rows);
    const jobOfRow = jobs.flatMap((j) => j.rows.map(() => j));
    // Every batch size compiles its own graphs; padding to a power of two (with copies of the first
    // row, which end when it ends) bounds them to log2(maxBatch) + 1 sizes.
    const padded = [...rows];
    while (padded.length < Math.min(this.maxBatch, 2 ** Math.ceil(Math.log2(rows.length)))) {
      padded.push(rows[0]);
      jobOfRow.push(jobs[0]);
    }
    const { ignoreEos, ...sampling } = head.sampling;
    try {
      const out = await generateIds(
        this.lm,
        padded.map((r) => r.tokens),
        { ...sampling, n: 1, seed: 0 },
        {
          maxBatch: this.maxBatch,
          ignoreEos,
          rngFor: (i) => rowRng(padded[i].seed, padded[i].promptIndex, padded[i].sampleIndex),
          cancelled: (i) => jobOfRow[i].signal?.aborted === true,
          onStep: () => this.stats.steps++,
        },
      );
      this.stats.batches++;
      this.stats.rows += rows.length;
      let at = 0;
      for (const job of jobs) {
        if (job.signal?.aborted) {
          at += job.rows.length; // rejected when it aborted
          continue;
        }
        job.resolve(
          job.rows.map((r, k) => ({
            ...out[at + k],
            promptIndex: r.promptIndex,
            sampleIndex: r.sampleIndex,
          })),
        );
        at += job.rows.length;
      }
    } catch (err) {
      for (const job of jobs) job.reject(err);
    }
    this.running = false;
    if (this.queue.length > 0) void this.runNext();
  }
}
