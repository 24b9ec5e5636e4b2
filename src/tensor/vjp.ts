/**
 * Vector-Jacobian products: for each op, the gradients of its inputs given the gradients of its
 * outputs, emitted as more traced ops. Rules may return gradients in the output's (broadcast)
 * shape: `grad` reduces them to each input's shape centrally.
 */
import type { Node, Tensor } from './graph.ts';
import * as op from './ops.ts';

/** What a rule may ask about the graph beyond its own node. */
export interface RuleContext {
  /** The ScatterND/ScatterElements node when gradient `g` is a sparse gradient scattered onto zeros (its updates can stand in for the dense tensor). */
  scatteredOntoZeros(g: Tensor): Node | undefined;
  /** The node that computed forward value `t`. */
  producer(t: Tensor): Node | undefined;
}

/** `needs[i]` says whether input i wants a gradient (so rules skip work nobody reads). */
export type VjpRule = (node: Node, gOut: Tensor[], needs: boolean[], ctx: RuleContext) => Array<Tensor | null>;

/**
 * Largest (rows × vocabulary) for which the embedding gradient is a one-hot matrix product
 * (deterministic); above it (big vocabularies) ScatterND-add is used, which is faster there but
 * sums in a thread-dependent order (set RLVR_THREADS=1 for bit-exact runs).
 */
export const ONE_HOT_LIMIT = 1 << 24;

const x0 = (n: Node): Tensor => n.inputs[0] as Tensor;
const x1 = (n: Node): Tensor => n.inputs[1] as Tensor;
const y0 = (n: Node): Tensor => n.outputs[0];
const when = (need: boolean, f: () => Tensor): Tensor | null => (need ? f() : null);

/**
 * Zeros of x's shape computed at run time (x · 0), not a ConstantOfShape: ONNX Runtime folds a
 * constant-shaped ConstantOfShape into an initializer that its session keeps for life — for the
 * embedding and the [B, T, vocabulary] log-probabilities of a 0.5B training graph, 1.2 GB that a
 * 0.5B step kept resident (docs/parts/performance.md). One extra pass over x per run instead.
 */
const zerosOf = (x: Tensor): Tensor => op.mul(x, 0);

function swapLast(t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return op.transpose(t, perm);
}

/** Reshapes a kept-dims-less reduction gradient back to the reduced axes, then broadcasts it to `shape`. */
function expandReduced(g: Tensor, node: Node, shape: readonly number[]): Tensor {
  const { axes, keepdims } = node.meta as { axes: number[]; keepdims: boolean };
  const kept = keepdims ? g : op.reshape(g, shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  return op.expand(kept, shape);
}

/**
 * A forward value a product's rule reads, or the same value computed again from the forward's
 * inputs when it is cheap to: a SwiGLU product, possibly reshaped (a [tokens × intermediate] tensor
 * per MLP, which a training step would otherwise keep from its forward to its backward).
 * Recomputed as Sigmoid, Mul, Mul (bit for bit the forward's QuickGelu and Mul, and not a copy of
 * those nodes, which ONNX Runtime's common-subexpression elimination would merge back into the
 * forward's).
 */
function recomputed(t: Tensor, ctx: RuleContext): Tensor {
  const from = ctx.producer(t);
  if (from?.rule === 'Reshape') {
    const inner = recomputed(x0(from), ctx);
    return inner === x0(from) ? t : op.reshape(inner, t.shape);
  }
  if (from?.rule !== 'SwiGLU') return t;
  const { gate } = from.meta as { gate: Tensor };
  return op.mul(op.mul(gate, op.sigmoid(gate)), x1(from));
}

function matmulGrads(n: Node, g: Tensor, needs: boolean[], ctx: RuleContext): Array<Tensor | null> {
  const a = recomputed(x0(n), ctx);
  const b = recomputed(x1(n), ctx);
  const da = when(needs[0], () => op.matmul(g, swapLast(b)));
  const db = when(needs[1], () => {
    if (b.rank === 2 && a.rank > 2) {
      const k = a.shape[a.rank - 1];
      const nOut = g.shape[g.rank - 1];
      return op.matmul(op.transpose(op.reshape(a, [-1, k]), [1, 0]), op.reshape(g, [-1, nOut]));
    }
    return op.matmul(swapLast(a), g);
  });
  return [da, db];
}

export const vjpRules: Record<string, VjpRule> = {
  Identity: (_n, [g]) => [g],
  Add: (_n, [g], needs) => [when(needs[0], () => g), when(needs[1], () => g)],
  Sub: (_n, [g], needs) => [when(needs[0], () => g), when(needs[1], () => op.neg(g))],
  Mul: (n, [g], needs) => [when(needs[0], () => op.mul(g, x1(n))), when(needs[1], () => op.mul(g, x0(n)))],
  Div: (n, [g], needs) => [
    when(needs[0], () => op.div(g, x1(n))),
    when(needs[1], () => op.neg(op.div(op.mul(g, y0(n)), x1(n)))),
  ],
  Pow: (n, [g], needs) => [
    when(needs[0], () => op.mul(op.mul(g, x1(n)), op.pow(x0(n), op.sub(x1(n), 1)))),
    when(needs[1], () => op.mul(op.mul(g, y0(n)), op.log(x0(n)))),
  ],
  Max: (n, [g], needs) => {
    const takeA = op.greaterOrEqual(x0(n), x1(n));
    return [when(needs[0], () => op.where(takeA, g, 0)), when(needs[1], () => op.where(takeA, 0, g))];
  },
  Min: (n, [g], needs) => {
    const takeA = op.lessOrEqual(x0(n), x1(n));
    return [when(needs[0], () => op.where(takeA, g, 0)), when(needs[1], () => op.where(takeA, 0, g))];
  },
  Where: (n, [g], needs) => {
    const c = n.inputs[0] as Tensor;
    return [null, when(needs[1], () => op.where(c, g, 0)), when(needs[2], () => op.where(c, 0, g))];
  },
  Neg: (_n, [g]) => [op.neg(g)],
  Abs: (n, [g]) => [op.where(op.greaterOrEqual(x0(n), 0), g, op.neg(g))],
  Sqrt: (n, [g]) => [op.div(op.mul(g, 0.5), y0(n))],
  Reciprocal: (n, [g]) => [op.neg(op.mul(g, op.mul(y0(n), y0(n))))],
  Exp: (n, [g]) => [op.mul(g, y0(n))],
  Log: (n, [g]) => [op.div(g, x0(n))],
  Sigmoid: (n, [g]) => [op.mul(g, op.mul(y0(n), op.sub(1, y0(n))))],
  // x·σ(x) with σ recomputed; the same expression, in the same order, as the Mul and Sigmoid rules
  // would give the two-op form (so models train bit for bit as before)
  Silu: (n, [g]) => {
    const x = x0(n);
    const s = op.sigmoid(x);
    return [op.add(op.mul(g, s), op.mul(op.mul(g, x), op.mul(s, op.sub(1, s))))];
  },
  SwiGLU: (n, [g], needs) => {
    const { gate } = n.meta as { gate: Tensor };
    return [when(needs[0], () => op.mul(g, x1(n))), when(needs[1], () => op.mul(g, op.mul(gate, op.sigmoid(gate))))];
  },
  Tanh: (n, [g]) => [op.mul(g, op.sub(1, op.mul(y0(n), y0(n))))],
  Relu: (n, [g]) => [op.where(op.greater(x0(n), 0), g, 0)],
  Softplus: (n, [g]) => [op.mul(g, op.sigmoid(x0(n)))],
  Sin: (n, [g]) => [op.mul(g, op.cos(x0(n)))],
  Cos: (n, [g]) => [op.neg(op.mul(g, op.sin(x0(n))))],
  Clip: (n, [g]) => {
    const { min, max } = n.meta as { min: number; max: number };
    const inside = op.logicalAnd(op.greaterOrEqual(x0(n), min), op.lessOrEqual(x0(n), max));
    return [op.where(inside, g, 0), null, null];
  },
  MatMul: (n, [g], needs, ctx) => matmulGrads(n, g, needs, ctx),
  Gemm: (n, [g], needs, ctx) => {
    // Y = op(A)·op(B): each gradient is one more Gemm with the transposes folded into its flags
    const { transA, transB } = n.meta as { transA: number; transB: number };
    const a = recomputed(x0(n), ctx);
    const b = recomputed(x1(n), ctx);
    const da = when(needs[0], () => (transA ? op.gemm(b, g, { transA: transB === 1, transB: true }) : op.gemm(g, b, { transB: transB === 0 })));
    const db = when(needs[1], () => (transB ? op.gemm(g, a, { transA: true, transB: transA === 1 }) : op.gemm(a, g, { transA: transA === 0 })));
    return [da, db];
  },
  ReduceSum: (n, [g]) => [expandReduced(g, n, x0(n).shape), null],
  ReduceMean: (n, [g]) => {
    const x = x0(n);
    const count = x.size / Math.max(1, y0(n).size);
    return [op.div(expandReduced(g, n, x.shape), count), null];
  },
  ReduceMax: (n, [g]) => {
    const x = x0(n);
    const { axes } = n.meta as { axes: number[] };
    const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const isMax = op.cast(op.equal(x, op.reshape(y0(n), keptShape)), x.dtype);
    const ties = op.reduceSum(isMax, axes, true);
    return [op.mul(expandReduced(g, n, x.shape), op.div(isMax, ties)), null];
  },
  Softmax: (n, [g]) => {
    const y = y0(n);
    const { axis } = n.meta as { axis: number };
    return [op.mul(y, op.sub(g, op.reduceSum(op.mul(g, y), [axis], true)))];
  },
  LogSoftmax: (n, [g], _needs, ctx) => {
    const { axis } = n.meta as { axis: number };
    const y = y0(n);
    const picked = ctx.scatteredOntoZeros(g);
    if (y.size > op.LARGE_TENSOR_ELEMENTS && picked?.opType === 'ScatterElements' && (picked.meta as { axis: number }).axis === axis && (picked.inputs[1] as Tensor).shape[axis] === 1) {
      // g is u scattered onto zeros at one index per row (target log-probabilities picked by
      // GatherElements), so Σ g = u and g − softmax·Σg = softmax·(−u) with u added at the index: one
      // [positions × vocabulary] tensor written in place of the dense chain's four (0.6 GB each at 0.5B)
      const [indices, u] = [picked.inputs[1] as Tensor, picked.inputs[2] as Tensor];
      return [op.scatterElementsAdd(op.mul(op.exp(y), op.neg(u)), indices, u, axis)];
    }
    return [op.sub(g, op.mul(op.exp(y), op.reduceSum(g, [axis], true)))];
  },
  Reshape: (n, [g]) => [op.reshape(g, x0(n).shape), null],
  Transpose: (n, [g]) => {
    const { perm } = n.meta as { perm: number[] };
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [op.transpose(g, inverse)];
  },
  Concat: (n, [g], needs) => {
    const { axis, sizes } = n.meta as { axis: number; sizes: number[] };
    let start = 0;
    return sizes.map((s, i) => {
      const piece = when(needs[i], () => op.slice(g, [start], [start + s], [axis]));
      start += s;
      return piece;
    });
  },
  Split: (n, gs) => {
    const { axis } = n.meta as { axis: number };
    return [op.concat(gs, axis), null];
  },
  Slice: (n, [g]) => {
    const x = x0(n);
    const { axes, starts, ends } = n.meta as { axes: number[]; starts: number[]; ends: number[] };
    const before = x.shape.map(() => 0);
    const after = x.shape.map(() => 0);
    axes.forEach((a, i) => {
      before[a] = starts[i];
      after[a] = x.shape[a] - ends[i];
    });
    return [op.pad(g, before, after), null, null, null];
  },
  Pad: (n, [g]) => {
    const { before } = n.meta as { before: number[] };
    const x = x0(n);
    return [op.slice(g, before, before.map((b, i) => b + x.shape[i])), null];
  },
  Gather: (n, [g]) => {
    const data = x0(n);
    const indices = op.cast(x1(n), 'int64');
    const { axis } = n.meta as { axis: number };
    if (axis !== 0) return [null, null];
    const rows = indices.size;
    const vocab = data.shape[0];
    if (rows * vocab <= ONE_HOT_LIMIT) {
      // onehotᵀ · g: a matrix product sums each row's contributions in a fixed order. ONNX
      // Runtime's multithreaded ScatterND-add does not (run-to-run differences in the last bits),
      // which would break bit-exact training reproducibility.
      const onehot = op.cast(op.equal(op.reshape(indices, [rows, 1]), op.range(data.graph, 0, vocab)), data.dtype);
      const width = data.size / vocab;
      const summed = op.matmul(op.transpose(onehot, [1, 0]), op.reshape(g, [rows, width]));
      return [op.reshape(summed, data.shape), null];
    }
    return [op.scatterNDAdd(zerosOf(data), op.unsqueeze(indices, -1), g, { ontoZeros: true }), null];
  },
  GatherElements: (n, [g]) => {
    const data = x0(n);
    const { axis } = n.meta as { axis: number };
    return [op.scatterElementsAdd(zerosOf(data), x1(n), g, axis, { ontoZeros: true }), null];
  },
  Expand: (_n, [g]) => [g, null],
  Cast: (n, [g]) => {
    const { from } = n.meta as { from: string };
    return [from.startsWith('float') ? op.cast(g, from as 'float32') : null];
  },
  CumSum: (n, [g]) => {
    const { axis, reverse, exclusive } = n.meta as { axis: number; reverse: number; exclusive: number };
    return [op.cumsum(g, axis, { reverse: !reverse, exclusive: exclusive === 1 }), null];
  },
};

/** Ops whose rule above does not cover every attribute value (checked before the rule runs). */
export function unsupportedReason(node: Node): string | null {
  if (node.opType === 'Gather' && (node.meta as { axis: number }).axis !== 0) return 'Gather gradient supports axis 0 only';
  return null;
}
