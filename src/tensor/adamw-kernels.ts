/**
 * AdamW's per-element work, split in two so that it can run on several threads although the
 * parameters cannot be shared with them (ONNX Runtime rejects SharedArrayBuffer-backed inputs, and
 * the parameters are every graph's inputs):
 *
 * - `momentsAndDirection` (any thread): m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², and the update
 *   direction u = lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε), in double precision;
 * - `applyDirection` (the thread owning the parameters): p ← p·(1 − lr·wd) − u.
 *
 * Both are plain monomorphic loops that V8 compiles to straight-line float code.
 */

/** Layout of the per-step constants in a shared Float64Array. */
export const K_SCALE = 0;
export const K_BETA1 = 1;
export const K_BETA2 = 2;
export const K_STEP_SIZE = 3;
export const K_BC2_SQRT = 4;
export const K_EPS = 5;
export const K_LENGTH = 6;

/**
 * Updates the moments of elements [offset, offset + n) from gradients g[from..] and writes the
 * update direction, unrounded, to u[from..]: the same double-precision arithmetic as a single fused
 * loop, so the split changes no bit.
 */
export function momentsAndDirection(g: Float32Array, u: Float64Array, from: number, m: Float32Array, v: Float32Array, offset: number, n: number, k: Float64Array): void {
  const scale = k[K_SCALE];
  const beta1 = k[K_BETA1];
  const beta2 = k[K_BETA2];
  const stepSize = k[K_STEP_SIZE];
  const bc2Sqrt = k[K_BC2_SQRT];
  const eps = k[K_EPS];
  const b1c = 1 - beta1;
  const b2c = 1 - beta2;
  const shift = offset - from;
  const end = from + n;
  for (let i = from; i < end; i++) {
    const gi = g[i] * scale;
    const j = i + shift;
    const mi = beta1 * m[j] + b1c * gi;
    const vi = beta2 * v[j] + b2c * gi * gi;
    m[j] = mi;
    v[j] = vi;
    u[i] = (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

/** p[offset..offset+n) ← p·decay − u[from..]. */
export function applyDirection(p: Float32Array, offset: number, u: Float64Array, from: number, n: number, decay: number): void {
  const shift = from - offset;
  const end = offset + n;
  for (let i = offset; i < end; i++) p[i] = p[i] * decay - u[i + shift];
}

export function sumOfSquares(g: Float32Array, lo: number, hi: number): number {
  let s = 0;
  for (let i = lo; i < hi; i++) s += g[i] * g[i];
  return s;
}

/** Slot states of the shared ring (Int32Array). */
export const SLOT_FREE = 0;
export const SLOT_FILLED = 1;
export const SLOT_CLAIMED = 2;
export const SLOT_DONE = 3;

/** Control words (Int32Array): a work counter workers sleep on, and a stop flag. */
export const CTRL_WORK = 0;
export const CTRL_STOP = 1;

export interface RingBuffers {
  /** Per-step constants (K_*). */
  constants: Float64Array;
  /** SLOT_* per slot. */
  state: Int32Array;
  /** Per slot: element offset into m/v and element count. */
  meta: Int32Array;
  /** Slots × chunk: gradients in (float32), update directions out (float64, unrounded). */
  data: Float32Array;
  direction: Float64Array;
  control: Int32Array;
  m: Float32Array;
  v: Float32Array;
  chunk: number;
}

/** Claims one filled slot and processes it; false when none was filled. Shared by the main thread and the workers. */
export function processOneSlot(r: RingBuffers): boolean {
  const slots = r.state.length;
  for (let s = 0; s < slots; s++) {
    if (Atomics.compareExchange(r.state, s, SLOT_FILLED, SLOT_CLAIMED) !== SLOT_FILLED) continue;
    momentsAndDirection(r.data, r.direction, s * r.chunk, r.m, r.v, r.meta[2 * s], r.meta[2 * s + 1], r.constants);
    Atomics.store(r.state, s, SLOT_DONE);
    Atomics.notify(r.state, s);
    return true;
  }
  return false;
}
