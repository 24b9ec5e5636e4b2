/**
 * AdamW's per-element work, shared by the calling thread and the helper threads.
 *
 * The update of one chunk runs in WebAssembly (adamw.wat, compiled into adamw-wasm.ts): two
 * elements at a time in double precision (f64x2 SIMD), in exactly the order of the scalar
 * reference loop (m ← β1·m + (1−β1)·g, v ← β2·v + ((1−β2)·g)·g, p ← p·(1 − lr·wd) −
 * lr/(1−β1ᵗ)·m/(√v/√(1−β2ᵗ) + ε), each stored rounded to float32), so results are bit-identical to
 * it; or (precision 'f32') the same expressions in single precision, four elements at a time, each
 * operation rounded to float32 as torch.optim.AdamW computes for float32 parameters — the double
 * kernel's two square roots and four divisions per pair of elements made a 0.5B update
 * compute-bound (docs/parts/performance.md). Why WebAssembly: V8 does not vectorize JavaScript
 * loops, and the square root and division per element made the JavaScript loop compute-bound at
 * ~10× the memory-bandwidth limit.
 *
 * WebAssembly reads only its own linear memory, so the ring of chunks lives in one shared
 * WebAssembly.Memory: the calling thread copies a chunk of gradients and parameters into a slot,
 * whichever thread processes it copies that chunk's moments (SharedArrayBuffers) in and out around
 * the kernel, and the calling thread copies the new parameters back. Every copy is a memmove of a
 * cache-resident block; main memory sees each array read and written once.
 */
import { ADAMW_WASM_BASE64 } from './adamw-wasm.ts';

/** Layout of the per-step constants in a shared Float64Array. */
export const K_SCALE = 0;
export const K_BETA1 = 1;
export const K_BETA2 = 2;
export const K_STEP_SIZE = 3;
export const K_BC2_SQRT = 4;
export const K_EPS = 5;
export const K_LENGTH = 6;

/** Slot states of the shared ring (Int32Array). */
export const SLOT_FREE = 0;
export const SLOT_FILLED = 1;
export const SLOT_CLAIMED = 2;
export const SLOT_DONE = 3;

/** Control words (Int32Array): a work counter workers sleep on, and a stop flag. */
export const CTRL_WORK = 0;
export const CTRL_STOP = 1;

/** Float32 arrays per slot in the ring's memory: gradients, first and second moments, parameters. */
const ARRAYS = 4;
const WASM_PAGE = 65536;

export interface RingBuffers {
  /** Shared linear memory holding the slots: slot s, array a (0 g, 1 m, 2 v, 3 p) starts at float index (s·4 + a)·chunk. */
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** Per-step constants (K_*). */
  constants: Float64Array;
  /** SLOT_* per slot. */
  state: Int32Array;
  /** Per slot: element offset into m/v and element count. */
  meta: Int32Array;
  /** Per slot: the weight-decay factor (1 − lr·wd, or 1). */
  decay: Float64Array;
  control: Int32Array;
  m: Float32Array;
  v: Float32Array;
  chunk: number;
  /** Which kernel updates the chunks: double-precision arithmetic (bit-identical to the scalar reference) or single (`adamw_f32`). */
  precision: AdamWPrecision;
}

export type AdamWPrecision = 'f64' | 'f32';

export function createRing(slots: number, chunk: number, m: Float32Array, v: Float32Array, constantsLength: number, precision: AdamWPrecision = 'f64'): RingBuffers {
  const pages = Math.ceil((slots * ARRAYS * chunk * 4) / WASM_PAGE);
  return {
    memory: new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }),
    module: new WebAssembly.Module(Buffer.from(ADAMW_WASM_BASE64, 'base64')),
    constants: new Float64Array(new SharedArrayBuffer(8 * constantsLength)),
    state: new Int32Array(new SharedArrayBuffer(4 * slots)),
    meta: new Int32Array(new SharedArrayBuffer(8 * slots)),
    decay: new Float64Array(new SharedArrayBuffer(8 * slots)),
    control: new Int32Array(new SharedArrayBuffer(8)),
    m,
    v,
    chunk,
    precision,
  };
}

type AdamWKernel = (
  g: number,
  m: number,
  v: number,
  p: number,
  n: number,
  scale: number,
  beta1: number,
  beta2: number,
  stepSize: number,
  bc2Sqrt: number,
  eps: number,
  decay: number,
) => void;

/** One thread's handle on the ring: the kernel instantiated on the shared memory, and a view of the slots. */
export class RingWorker {
  readonly heap: Float32Array;
  private readonly kernel: AdamWKernel;

  constructor(readonly r: RingBuffers) {
    const instance = new WebAssembly.Instance(r.module, { env: { memory: r.memory } });
    this.kernel = (r.precision === 'f32' ? instance.exports.adamw_f32 : instance.exports.adamw) as AdamWKernel;
    this.heap = new Float32Array(r.memory.buffer);
  }

  /** Float index of array `a` (0 g, 1 m, 2 v, 3 p) of `slot` in `heap`. */
  at(slot: number, a: number): number {
    return (slot * ARRAYS + a) * this.r.chunk;
  }

  /** Claims one filled slot and updates it (moments in place in m/v, new parameters in the slot); false when none was filled. */
  processOne(): boolean {
    const r = this.r;
    const slots = r.state.length;
    for (let s = 0; s < slots; s++) {
      if (Atomics.compareExchange(r.state, s, SLOT_FILLED, SLOT_CLAIMED) !== SLOT_FILLED) continue;
      const offset = r.meta[2 * s];
      const n = r.meta[2 * s + 1];
      const mAt = this.at(s, 1);
      const vAt = this.at(s, 2);
      this.heap.set(r.m.subarray(offset, offset + n), mAt);
      this.heap.set(r.v.subarray(offset, offset + n), vAt);
      const k = r.constants;
      this.kernel(4 * this.at(s, 0), 4 * mAt, 4 * vAt, 4 * this.at(s, 3), n, k[K_SCALE], k[K_BETA1], k[K_BETA2], k[K_STEP_SIZE], k[K_BC2_SQRT], k[K_EPS], r.decay[s]);
      r.m.set(this.heap.subarray(mAt, mAt + n), offset);
      r.v.set(this.heap.subarray(vAt, vAt + n), offset);
      Atomics.store(r.state, s, SLOT_DONE);
      Atomics.notify(r.state, s);
      return true;
    }
    return false;
  }
}

/** Elements per call of addSquares (a multiple of 4, so that every element keeps its partial sum). */
const NORM_CHUNK = 1 << 16;

/**
 * Σ g[i]² over [lo, hi) in double precision, in four interleaved partial sums (element i goes to
 * sum (i − lo) mod 4, the last (hi − lo) mod 4 elements to the first; combined as (s0 + s1) +
 * (s2 + s3)): four independent additions per iteration instead of one dependent chain, which made
 * the norm pass latency-bound. Deterministic; equal to the sequential sum up to rounding (~1e-16
 * relative per element). The range is walked in calls of NORM_CHUNK elements that carry the four
 * sums: V8 gives a function its fast code through ordinary calls, while one call running a 494M-
 * element loop ran at a third of the speed for its first two calls (on-stack replacement).
 */
export function sumOfSquares(g: Float32Array, lo: number, hi: number): number {
  const sums = new Float64Array(4);
  let i = lo;
  for (; i + NORM_CHUNK < hi; i += NORM_CHUNK) addSquares(sums, g, i, i + NORM_CHUNK);
  addSquares(sums, g, i, hi);
  return sums[0] + sums[1] + (sums[2] + sums[3]);
}

function addSquares(sums: Float64Array, g: Float32Array, lo: number, hi: number): void {
  let s0 = sums[0];
  let s1 = sums[1];
  let s2 = sums[2];
  let s3 = sums[3];
  let i = lo;
  for (; i + 3 < hi; i += 4) {
    const a = g[i];
    const b = g[i + 1];
    const c = g[i + 2];
    const d = g[i + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < hi; i++) s0 += g[i] * g[i];
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}
