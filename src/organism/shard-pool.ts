/**
 * Helper threads for data-parallel pretraining (train.ts): thread k computes micro-batch k + 1 of
 * each step while the main thread computes micro-batch 0. ONNX Runtime's Node binding runs a
 * session on the calling thread, so a second core needs a second thread with its own session.
 * Each thread trains on one intra-op thread like the main one, and the main thread adds the
 * gradients in micro-batch order, so the result does not depend on timing or on the core count:
 * it equals accumulating the micro-batches one after another in one thread (a test checks it).
 */
import { Worker } from 'node:worker_threads';

export interface ShardSetup {
  /** A model directory with the architecture being trained (its weights are replaced by every request's). */
  modelDir: string;
}

export interface ShardRequest {
  params: Float32Array;
  /** The micro-batch: whole tokenized documents. */
  rows: ReadonlyArray<readonly number[]>;
}

export type ShardReply = { loss: number; grad: Float32Array } | { error: string };

interface Pending {
  resolve: (r: { loss: number; grad: Float32Array }) => void;
  reject: (e: Error) => void;
}

class ShardThread {
  private readonly worker: Worker;
  private pending: Pending | null = null;
  private failure: Error | null = null;

  constructor(setup: ShardSetup) {
    this.worker = new Worker(new URL('./shard-worker.mjs', import.meta.url), { workerData: setup });
    this.worker.on('message', (reply: ShardReply) => {
      const p = this.take();
      if ('error' in reply) p?.reject(new Error(`pretraining shard thread: ${reply.error}`));
      else p?.resolve(reply);
    });
    this.worker.on('error', (err) => this.fail(new Error(`pretraining shard thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => this.fail(new Error(`pretraining shard thread exited with code ${code}`)));
  }

  gradient(params: Float32Array, rows: ReadonlyArray<readonly number[]>): Promise<{ loss: number; grad: Float32Array }> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('pretraining shard thread: a request is already in flight'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ params, rows } satisfies ShardRequest);
    });
  }

  terminate(): Promise<number> {
    this.failure ??= new Error('pretraining shard thread was stopped');
    return this.worker.terminate();
  }

  private take(): Pending | null {
    const p = this.pending;
    this.pending = null;
    return p;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.take()?.reject(err);
  }
}

export class ShardPool {
  private readonly threads: ShardThread[];

  constructor(setup: ShardSetup, helpers: number) {
    this.threads = Array.from({ length: helpers }, () => new ShardThread(setup));
  }

  /** Starts micro-batch k + 1 on thread k for every given micro-batch (at most one per thread). */
  start(params: Float32Array, microBatches: ReadonlyArray<ReadonlyArray<readonly number[]>>): Array<Promise<{ loss: number; grad: Float32Array }>> {
    if (microBatches.length > this.threads.length) throw new Error(`${microBatches.length} micro-batches for ${this.threads.length} shard threads`);
    return microBatches.map((rows, k) => {
      const reply = this.threads[k].gradient(params, rows);
      // awaited only after the main thread's own micro-batch: a failure meanwhile is not unhandled
      reply.catch(() => undefined);
      return reply;
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
