import { Worker } from 'node:worker_threads';
import {
  type AdamWPrecision,
  createRing,
  CTRL_STOP,
  CTRL_WORK,
  K_BETA1,
  K_BETA2,
  K_EPS,
  K_BC2_SQRT,
  K_LENGTH,
  K_SCALE,
  K_STEP_SIZE,
  type RingBuffers,
  RingWorker,
  SLOT_DONE,
  SLOT_CLAIMED,
  SLOT_FILLED,
  SLOT_FREE,
  sumOfSquares,
} from './adamw-kernels.ts';
import { ShapeError } from './errors.ts';
import type { ParamStore } from './params.ts';
import { defaultThreads } from './session.ts';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient L2 norm to this value; 0 disables clipping. */
  maxGradNorm: number;
}

export const adamWDefaults: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

export interface AdamWState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/** Gradients for one update: one flat buffer in the store's layout, or one array per parameter name. */
export type Gradients = Float32Array | Readonly<Record<string, Float32Array>>;

/** Elements per ring slot (4 × 64 KiB: gradients, moments, parameters): large enough to amortize the hand-off, small enough to stay in cache. */
const CHUNK = 16 * 1024;
const SLOTS = 8;
/** Below this many trainable elements an update takes well under a millisecond: no helper threads. */
const PARALLEL_MIN = 1 << 20;
/**
 * From this many trainable elements the update runs in single precision (`AdamWOptions.precision`):
 * below it — every organism, tiny model and test fixture — updates stay bit-identical to the
 * double-precision reference, so their builds and checkpoints reproduce bit for bit.
 */
export const F32_UPDATE_MIN = 1 << 26;
/** A helper that holds a slot this long has died (its error event cannot arrive while this thread waits). */
const HELPER_TIMEOUT_MS = 60_000;

export interface AdamWOptions {
  frozen?: (name: string) => boolean;
  decay?: (name: string) => boolean;
  /** Helper threads besides the calling one; default RLVR_THREADS (or the core count) − 1. */
  helpers?: number;
  /** Trainable elements from which helpers are used (default 2^20). */
  parallelMin?: number;
  /** Arithmetic of the update: 'f64' (bit-identical to the double-precision reference) or 'f32' (as torch.optim.AdamW on float32); default 'f32' from F32_UPDATE_MIN trainable elements, else 'f64'. */
  precision?: AdamWPrecision;
}

interface Segment {
  name: string;
  offset: number;
  length: number;
  decay: boolean;
  frozen: boolean;
}

/**
 * AdamW with decoupled weight decay, as torch.optim.AdamW (bias-corrected moments,
 * p ← p·(1 − lr·wd) − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)), with global-norm clipping as
 * clip_grad_norm_.
 *
 * The update streams the parameters through a small ring of slots in a shared WebAssembly memory,
 * in chunks: the calling thread copies a chunk of gradients and parameters into a free slot; any
 * thread (helpers started with worker_threads, or the caller when it has nothing else to do)
 * updates that chunk with the WebAssembly kernel (adamw-kernels.ts), bringing its moments, which
 * live in SharedArrayBuffers, in and out; the caller then copies the new parameters back as chunks finish (in any order: they are disjoint).
 * The parameters and gradients stay in ordinary buffers because ONNX Runtime rejects
 * SharedArrayBuffer-backed inputs; the ring keeps that from costing a full-size copy. Each
 * element's arithmetic is the same whoever runs it, so results are bit-identical for any number
 * of helpers; below F32_UPDATE_MIN trainable elements it is that of one fused double-precision
 * loop (the earlier single-threaded loop's), from there on single precision. Nothing proportional
 * to the model is allocated per step.
 */
/** Helpers of an optimizer dropped without close(): stopped when it is collected (they hold the moments). */
const orphanedHelpers = new FinalizationRegistry<Worker[]>((workers) => {
  for (const w of workers) void w.terminate();
});

export class AdamW {
  readonly config: AdamWConfig;
  readonly precision: AdamWPrecision;
  private stepsTaken = 0;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly segments: Segment[];
  private readonly ring: RingBuffers;
  private readonly self: RingWorker;
  private readonly workers: Worker[] = [];
  private readonly started: Array<Promise<void>> = [];

  constructor(
    readonly params: ParamStore,
    config: Partial<AdamWConfig> = {},
    opts: AdamWOptions = {},
  ) {
    this.config = { ...adamWDefaults, ...config };
    for (const [k, v] of Object.entries(this.config)) {
      if (!Number.isFinite(v) || v < 0) throw new ShapeError(`AdamW: ${k} must be a non-negative number, got ${v}`);
    }
    const n = params.data.length;
    this.m = new Float32Array(new SharedArrayBuffer(4 * n));
    this.v = new Float32Array(new SharedArrayBuffer(4 * n));
    // Fault the moments' pages in here, on one thread, in order: left to the first step, the
    // helpers and the caller fault them in concurrently, which cost 5.3 s instead of 0.9 + 1.2 s
    // for 200M parameters on the 2-core VM (docs/parts/performance.md).
    this.m.fill(0);
    this.v.fill(0);
    const decay = opts.decay ?? ((name: string) => !name.endsWith('.bias') && !name.includes('norm'));
    this.segments = params.specs.map((s) => ({
      name: s.name,
      offset: params.offset(s.name),
      length: params.view(s.name).length,
      decay: decay(s.name),
      frozen: opts.frozen?.(s.name) ?? false,
    }));
    const trainable = this.segments.reduce((sum, s) => sum + (s.frozen ? 0 : s.length), 0);
    this.precision = opts.precision ?? (trainable >= F32_UPDATE_MIN ? 'f32' : 'f64');
    this.ring = createRing(SLOTS, CHUNK, this.m, this.v, K_LENGTH, this.precision);
    this.self = new RingWorker(this.ring);
    const helpers = opts.helpers ?? defaultThreads() - 1;
    if (helpers > 0 && trainable >= (opts.parallelMin ?? PARALLEL_MIN)) {
      for (let i = 0; i < helpers; i++) {
        // a plain-JavaScript entry that registers tsx (execArgv's --import was silently not applied in workers: helpers never ran)
        const w = new Worker(new URL('./adamw-worker.mjs', import.meta.url), { workerData: this.ring });
        w.unref();
        this.started.push(
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
        );
        // a helper that fails leaves its work to the calling thread (see step); helpersReady() reports it
        w.on('error', () => undefined);
        this.workers.push(w);
      }
      orphanedHelpers.register(this, this.workers, this);
    }
  }

  /** Resolves once every helper thread has loaded and joined the ring; rejects with the error of one that failed to start. */
  async helpersReady(): Promise<void> {
    await Promise.all(this.started);
  }

  /** Helper threads started for this optimizer. */
  get helperCount(): number {
    return this.workers.length;
  }

  get stepCount(): number {
    return this.stepsTaken;
  }

  private gradOf(grads: Gradients, seg: Segment): { g: Float32Array; base: number } {
    if (grads instanceof Float32Array) {
      if (grads.length !== this.params.data.length) {
        throw new ShapeError(`AdamW: gradient has ${grads.length} values, parameters ${this.params.data.length}`);
      }
      return { g: grads, base: seg.offset };
    }
    const g = grads[seg.name];
    if (!g || g.length !== seg.length) throw new ShapeError(`AdamW: gradient for '${seg.name}' is missing or has the wrong size`);
    return { g, base: 0 };
  }

  /** Global L2 norm of the gradients of the trainable parameters. */
  gradNorm(grads: Gradients): number {
    let sum = 0;
    for (const seg of this.segments) {
      if (seg.frozen) continue;
      const { g, base } = this.gradOf(grads, seg);
      sum += sumOfSquares(g, base, base + seg.length);
    }
    return Math.sqrt(sum);
  }

  /** One update. Returns the pre-clip gradient norm; a non-finite norm skips the update (it would poison the moments). */
  step(grads: Gradients, lr: number): { gradNorm: number } {
    const { beta1, beta2, eps, maxGradNorm } = this.config;
    const norm = this.gradNorm(grads);
    if (!Number.isFinite(norm)) return { gradNorm: norm };
    const t = ++this.stepsTaken;
    const r = this.ring;
    const k = r.constants;
    k[K_SCALE] = maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1;
    k[K_BETA1] = beta1;
    k[K_BETA2] = beta2;
    k[K_STEP_SIZE] = lr / (1 - beta1 ** t);
    k[K_BC2_SQRT] = Math.sqrt(1 - beta2 ** t);
    k[K_EPS] = eps;
    const p = this.params.data;
    const heap = this.self.heap;
    const chunks = this.chunks(grads, lr);
    let next = chunks.next();
    let inFlight = 0;
    let stalledMs = 0;
    // Slots cover disjoint ranges, so they are applied in whatever order they finish: the caller
    // never waits for a slot a descheduled helper holds while other work is available.
    for (;;) {
      let filled = false;
      for (let slot = 0; slot < SLOTS; slot++) {
        const state = Atomics.load(r.state, slot);
        if (state === SLOT_DONE) {
          const from = this.self.at(slot, 3);
          p.set(heap.subarray(from, from + r.meta[2 * slot + 1]), r.meta[2 * slot]);
          Atomics.store(r.state, slot, SLOT_FREE);
          inFlight--;
        } else if (state !== SLOT_FREE) continue;
        if (next.done) continue;
        const { g, from, offset, n, decay } = next.value;
        heap.set(g.subarray(from, from + n), this.self.at(slot, 0));
        heap.set(p.subarray(offset, offset + n), this.self.at(slot, 3));
        r.meta[2 * slot] = offset;
        r.meta[2 * slot + 1] = n;
        r.decay[slot] = decay;
        Atomics.store(r.state, slot, SLOT_FILLED);
        inFlight++;
        filled = true;
        next = chunks.next();
      }
      if (filled) {
        Atomics.add(r.control, CTRL_WORK, 1);
        Atomics.notify(r.control, CTRL_WORK);
      }
      if (inFlight === 0 && next.done) break;
      if (filled || this.self.processOne()) continue;
      let held = -1;
      let done = false;
      for (let slot = 0; slot < SLOTS; slot++) {
        const state = Atomics.load(r.state, slot);
        if (state === SLOT_DONE) done = true;
        else if (state === SLOT_CLAIMED && held < 0) held = slot;
      }
      if (done || held < 0) continue;
      // every slot in flight is held by a helper: sleep until that one finishes
      if (Atomics.wait(r.state, held, SLOT_CLAIMED, 100) === 'timed-out') stalledMs += 100;
      else stalledMs = 0;
      if (stalledMs > HELPER_TIMEOUT_MS) throw new Error('AdamW: a helper thread stopped responding');
    }
    return { gradNorm: norm };
  }

  /** The trainable parameters in chunks of at most CHUNK elements: where their gradients and parameters are, and their decay factor. */
  private *chunks(grads: Gradients, lr: number): Generator<{ g: Float32Array; from: number; offset: number; n: number; decay: number }> {
    for (const seg of this.segments) {
      if (seg.frozen) continue;
      const { g, base } = this.gradOf(grads, seg);
      const decay = seg.decay ? 1 - lr * this.config.weightDecay : 1;
      for (let at = 0; at < seg.length; at += CHUNK) yield { g, from: base + at, offset: seg.offset + at, n: Math.min(CHUNK, seg.length - at), decay };
    }
  }

  /** The step count and the moments, as live views (copy them to keep them past the next step). */
  getState(): AdamWState {
    return { step: this.stepsTaken, m: this.m, v: this.v };
  }

  setState(state: AdamWState): void {
    if (state.m.length !== this.params.data.length || state.v.length !== this.params.data.length) {
      throw new ShapeError(`AdamW: optimizer state has ${state.m.length} values, parameters ${this.params.data.length}`);
    }
    this.stepsTaken = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }

  /**
   * Stops the helper threads, which hold references to the moments (also done when the optimizer
   * is garbage collected, and at exit); later steps run on the calling thread alone.
   */
  close(): void {
    Atomics.store(this.ring.control, CTRL_STOP, 1);
    Atomics.add(this.ring.control, CTRL_WORK, 1);
    Atomics.notify(this.ring.control, CTRL_WORK);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
    orphanedHelpers.unregister(this);
  }
}

/**
 * Sums micro-batch gradients in one flat buffer in the store's layout, in place: the first
 * micro-batch of a step is written straight into it (by ONNX Runtime, through `target`), later
 * ones land in a second buffer, allocated only when a step has more than one micro-batch, and are
 * added. `sum()`/`mean()` hand the buffer itself to the optimizer (no copy); the next micro-batch
 * overwrites it.
 */
export class GradAccumulator {
  readonly grad: Float32Array;
  private landing: Float32Array | null = null;
  count = 0;

  constructor(readonly params: ParamStore) {
    this.grad = params.like();
  }

  /** Where the next micro-batch's gradient of each named parameter should be written (views, in the store's layout). */
  target(names: readonly string[]): Record<string, Float32Array> {
    if (this.count > 0) this.landing ??= this.params.like();
    const buf = this.count === 0 ? this.grad : (this.landing as Float32Array);
    return Object.fromEntries(names.map((n) => [n, buf.subarray(this.params.offset(n), this.params.offset(n) + this.params.view(n).length)]));
  }

  /** Counts the micro-batch whose gradients were written where `target(names)` said, times `weight`; other parameters' count as zero. */
  commit(names: readonly string[], weight = 1): void {
    const given = new Set(names);
    for (const s of this.params.specs) {
      const off = this.params.offset(s.name);
      const len = this.params.view(s.name).length;
      const dst = this.grad;
      if (this.count === 0) {
        if (!given.has(s.name)) dst.fill(0, off, off + len);
        else if (weight !== 1) for (let i = off; i < off + len; i++) dst[i] *= weight;
      } else if (given.has(s.name)) {
        const src = this.landing as Float32Array;
        for (let i = off; i < off + len; i++) dst[i] += weight * src[i];
      }
    }
    this.count++;
  }

  /** Adds per-parameter gradients (keyed by parameter name); parameters without a gradient count as zero. */
  add(grads: Record<string, Float32Array>, weight = 1): void {
    const names = Object.keys(grads);
    const into = this.target(names);
    for (const n of names) {
      if (grads[n].length !== into[n].length) throw new ShapeError(`gradient for '${n}' has ${grads[n].length} values, the parameter ${into[n].length}`);
      into[n].set(grads[n]);
    }
    this.commit(names, weight);
  }

  /** The accumulated sum divided by the number of micro-batches (the accumulator's own buffer); the next micro-batch starts afresh. */
  mean(): Float32Array {
    const n = this.count;
    const out = this.sum();
    if (n > 1) for (let i = 0; i < out.length; i++) out[i] /= n;
    return out;
  }

  /** The accumulated sum (the accumulator's own buffer, valid until the next micro-batch); the next micro-batch starts afresh. */
  sum(): Float32Array {
    if (this.count === 0) this.grad.fill(0);
    this.count = 0;
    return this.grad;
  }
}
