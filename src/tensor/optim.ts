import { ShapeError } from './errors.ts';
import type { ParamStore } from './params.ts';

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

/**
 * AdamW with decoupled weight decay, exactly as torch.optim.AdamW (bias-corrected moments,
 * p ← p·(1 − lr·wd) − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)), as a tight loop per parameter over the
 * flat buffer. Measured on the standard tiny model (3.4M parameters, 2 cores): ~30 ms here versus
 * ~52 ms for the same update as a compiled ONNX Runtime graph, which pays for one pass per
 * elementwise op and for copying three buffers out (docs/ARCHITECTURE.md, "Optimizer").
 */
export class AdamW {
  readonly config: AdamWConfig;
  private state: AdamWState;
  private readonly segments: Array<{ name: string; offset: number; length: number; decay: boolean; frozen: boolean }>;

  constructor(
    readonly params: ParamStore,
    config: Partial<AdamWConfig> = {},
    opts: { frozen?: (name: string) => boolean; decay?: (name: string) => boolean } = {},
  ) {
    this.config = { ...adamWDefaults, ...config };
    for (const [k, v] of Object.entries(this.config)) {
      if (!Number.isFinite(v) || v < 0) throw new ShapeError(`AdamW: ${k} must be a non-negative number, got ${v}`);
    }
    this.state = { step: 0, m: params.like(), v: params.like() };
    const decay = opts.decay ?? ((name: string) => !name.endsWith('.bias') && !name.includes('norm'));
    this.segments = params.specs.map((s) => ({
      name: s.name,
      offset: params.offset(s.name),
      length: params.view(s.name).length,
      decay: decay(s.name),
      frozen: opts.frozen?.(s.name) ?? false,
    }));
  }

  get stepCount(): number {
    return this.state.step;
  }

  private gradOf(grads: Gradients, seg: { name: string; offset: number; length: number }): { g: Float32Array; base: number } {
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
    const { beta1, beta2, eps, weightDecay, maxGradNorm } = this.config;
    const norm = this.gradNorm(grads);
    if (!Number.isFinite(norm)) return { gradNorm: norm };
    const scale = maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1;
    const t = ++this.state.step;
    const k: AdamKernelArgs = {
      scale,
      beta1,
      beta2,
      stepSize: lr / (1 - beta1 ** t),
      bc2Sqrt: Math.sqrt(1 - beta2 ** t),
      eps,
      decay: 1,
    };
    for (const seg of this.segments) {
      if (seg.frozen) continue;
      const { g, base } = this.gradOf(grads, seg);
      k.decay = seg.decay ? 1 - lr * weightDecay : 1;
      adamKernel(this.params.data, this.state.m, this.state.v, g, seg.offset, base, seg.length, k);
    }
    return { gradNorm: norm };
  }

  getState(): AdamWState {
    return { step: this.state.step, m: this.state.m.slice(), v: this.state.v.slice() };
  }

  setState(state: AdamWState): void {
    if (state.m.length !== this.params.data.length || state.v.length !== this.params.data.length) {
      throw new ShapeError(`AdamW: optimizer state has ${state.m.length} values, parameters ${this.params.data.length}`);
    }
    this.state = { step: state.step, m: state.m.slice(), v: state.v.slice() };
  }
}

interface AdamKernelArgs {
  scale: number;
  beta1: number;
  beta2: number;
  stepSize: number;
  bc2Sqrt: number;
  eps: number;
  decay: number;
}

function sumOfSquares(g: Float32Array, lo: number, hi: number): number {
  let s = 0;
  for (let i = lo; i < hi; i++) s += g[i] * g[i];
  return s;
}

// Kept monomorphic and branch-free: V8 compiles this loop to straight-line float code.
function adamKernel(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  offset: number,
  gBase: number,
  length: number,
  k: AdamKernelArgs,
): void {
  const { scale, beta1, beta2, stepSize, bc2Sqrt, eps, decay } = k;
  const b1c = 1 - beta1;
  const b2c = 1 - beta2;
  const shift = gBase - offset;
  const end = offset + length;
  for (let i = offset; i < end; i++) {
    const gi = g[i + shift] * scale;
    const mi = beta1 * m[i] + b1c * gi;
    const vi = beta2 * v[i] + b2c * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

/** Sums micro-batch gradients into one flat buffer; `mean()` gives their average for the optimizer. */
export class GradAccumulator {
  readonly grad: Float32Array;
  count = 0;

  constructor(readonly params: ParamStore) {
    this.grad = params.like();
  }

  /** Adds per-parameter gradients (keyed by parameter name); parameters without a gradient count as zero. */
  add(grads: Record<string, Float32Array>, weight = 1): void {
    for (const [name, g] of Object.entries(grads)) {
      const off = this.params.offset(name);
      const dst = this.grad;
      for (let i = 0; i < g.length; i++) dst[off + i] += weight * g[i];
    }
    this.count++;
  }

  /** The accumulated sum divided by the number of micro-batches, then cleared for the next step. */
  mean(): Float32Array {
    const n = this.count;
    const out = this.sum();
    if (n > 1) for (let i = 0; i < out.length; i++) out[i] /= n;
    return out;
  }

  /** The accumulated sum, then cleared for the next step. */
  sum(): Float32Array {
    const out = this.grad.slice();
    this.grad.fill(0);
    this.count = 0;
    return out;
  }
}
