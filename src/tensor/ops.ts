/**
 * The traced tensor API: each function checks dtypes and shapes at trace time (errors name the op
 * and the shapes), infers the output's static shape, and records one or more ONNX nodes.
 */
import { type DType, isFloat, onnxDataType } from './dtype.ts';
import { ShapeError } from './errors.ts';
import { type Graph, Tensor } from './graph.ts';
import { broadcastShapes, fmt, normAxis, sameShape, sizeOf, type Shape } from './shape.ts';

export type Operand = Tensor | number;

function graphOf(...xs: Operand[]): Graph {
  for (const x of xs) if (x instanceof Tensor) return x.graph;
  throw new ShapeError('an op needs at least one traced tensor operand');
}

function lift(x: Operand, like: DType, g: Graph): Tensor {
  return x instanceof Tensor ? x : g.scalar(x, like);
}

function one(g: Graph, opType: string, inputs: Array<Tensor | null>, dtype: DType, shape: Shape, attrs = {}, extra = {}): Tensor {
  return g.addNode(opType, inputs, [{ dtype, shape }], attrs, extra)[0];
}

function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new ShapeError(`${op}: expected a float tensor, got ${t.dtype}${fmt(t.shape)}`);
}

function binary(op: string, a: Operand, b: Operand, outDtype?: DType): Tensor {
  const g = graphOf(a, b);
  const dtype = a instanceof Tensor ? a.dtype : (b as Tensor).dtype;
  const ta = lift(a, dtype, g);
  const tb = lift(b, dtype, g);
  if (ta.dtype !== tb.dtype) {
    throw new ShapeError(`${op}: dtype mismatch ${ta.dtype}${fmt(ta.shape)} vs ${tb.dtype}${fmt(tb.shape)}`);
  }
  return one(g, op, [ta, tb], outDtype ?? dtype, broadcastShapes(op, ta.shape, tb.shape));
}

export const add = (a: Operand, b: Operand): Tensor => binary('Add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('Mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('Div', a, b);
export const pow = (a: Operand, b: Operand): Tensor => binary('Pow', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binary('Min', a, b);
export const maximum = (a: Operand, b: Operand): Tensor => binary('Max', a, b);
export const equal = (a: Operand, b: Operand): Tensor => binary('Equal', a, b, 'bool');
export const less = (a: Operand, b: Operand): Tensor => binary('Less', a, b, 'bool');
export const greater = (a: Operand, b: Operand): Tensor => binary('Greater', a, b, 'bool');
export const lessOrEqual = (a: Operand, b: Operand): Tensor => binary('LessOrEqual', a, b, 'bool');
export const greaterOrEqual = (a: Operand, b: Operand): Tensor => binary('GreaterOrEqual', a, b, 'bool');

function logical(op: string, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== 'bool' || b.dtype !== 'bool') {
    throw new ShapeError(`${op}: expected bool tensors, got ${a.dtype}${fmt(a.shape)} and ${b.dtype}${fmt(b.shape)}`);
  }
  return one(a.graph, op, [a, b], 'bool', broadcastShapes(op, a.shape, b.shape));
}
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => logical('And', a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor => logical('Or', a, b);
export function logicalNot(a: Tensor): Tensor {
  if (a.dtype !== 'bool') throw new ShapeError(`Not: expected a bool tensor, got ${a.dtype}${fmt(a.shape)}`);
  return one(a.graph, 'Not', [a], 'bool', a.shape);
}

export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== 'bool') throw new ShapeError(`Where: condition must be bool, got ${cond.dtype}${fmt(cond.shape)}`);
  const g = cond.graph;
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const ta = lift(a, dtype, g);
  const tb = lift(b, dtype, g);
  if (ta.dtype !== tb.dtype) throw new ShapeError(`Where: dtype mismatch ${ta.dtype} vs ${tb.dtype}`);
  const shape = broadcastShapes('Where', broadcastShapes('Where', cond.shape, ta.shape), tb.shape);
  return one(g, 'Where', [cond, ta, tb], dtype, shape);
}

function unary(op: string, x: Tensor, needsFloat = true): Tensor {
  if (needsFloat) requireFloat(op, x);
  return one(x.graph, op, [x], x.dtype, x.shape);
}
export const neg = (x: Tensor): Tensor => unary('Neg', x, false);
export const abs = (x: Tensor): Tensor => unary('Abs', x, false);
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x);
export const reciprocal = (x: Tensor): Tensor => unary('Reciprocal', x);
export const exp = (x: Tensor): Tensor => unary('Exp', x);
export const log = (x: Tensor): Tensor => unary('Log', x);
export const sigmoid = (x: Tensor): Tensor => unary('Sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('Tanh', x);
export const relu = (x: Tensor): Tensor => unary('Relu', x);
export const softplus = (x: Tensor): Tensor => unary('Softplus', x);
export const sin = (x: Tensor): Tensor => unary('Sin', x);
export const cos = (x: Tensor): Tensor => unary('Cos', x);

/**
 * x·sigmoid(x) (SiLU / swish). float32: one com.microsoft QuickGelu node (alpha 1, which ONNX
 * Runtime computes as the Sigmoid kernel's logistic then a product, bit for bit the two primitive
 * ops), whose gradient rule recomputes sigmoid(x) instead of keeping it from the forward; other
 * dtypes: the two primitive ops.
 */
export function silu(x: Tensor): Tensor {
  if (x.dtype !== 'float32') return mul(x, sigmoid(x));
  return one(x.graph, 'QuickGelu', [x], x.dtype, x.shape, { alpha: { float: 1 } }, { domain: 'com.microsoft', rule: 'Silu' });
}

/**
 * silu(gate)·up, a SwiGLU MLP's hidden units. In float32 its gradient rule recomputes silu(gate)
 * as Sigmoid then Mul (a second QuickGelu would be merged with the forward's by ONNX Runtime's
 * common-subexpression elimination, which would keep the forward's alive) instead of keeping it:
 * with `silu`'s rule, a 0.5B model's training step keeps two [tokens × 4,864] tensors less per
 * layer (0.9 GiB at 4 × 256 tokens).
 */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  const s = silu(gate);
  if (gate.dtype !== 'float32' || up.dtype !== gate.dtype) return mul(s, up);
  return one(gate.graph, 'Mul', [s, up], gate.dtype, broadcastShapes('Mul', s.shape, up.shape), {}, { rule: 'SwiGLU', meta: { gate } });
}

export function clip(x: Tensor, min: number, max: number): Tensor {
  requireFloat('Clip', x);
  if (!(min <= max)) throw new ShapeError(`Clip: min ${min} is greater than max ${max}`);
  const g = x.graph;
  return one(g, 'Clip', [x, g.scalar(min, x.dtype), g.scalar(max, x.dtype)], x.dtype, x.shape, {}, { meta: { min, max } });
}

/** Identity whose gradient is zero: values flow forward, gradients stop here. */
export function stopGradient(x: Tensor): Tensor {
  return one(x.graph, 'Identity', [x], x.dtype, x.shape, {}, { rule: 'StopGradient' });
}

export function identity(x: Tensor): Tensor {
  return one(x.graph, 'Identity', [x], x.dtype, x.shape);
}

/** Batched matrix product with NumPy broadcasting of the leading (batch) axes; both operands rank ≥ 2. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw new ShapeError(`MatMul: dtype mismatch ${a.dtype}${fmt(a.shape)} vs ${b.dtype}${fmt(b.shape)}`);
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(`MatMul: operands must have rank ≥ 2, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw new ShapeError(`MatMul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (${k} vs ${k2})`);
  const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return one(a.graph, 'MatMul', [a, b], a.dtype, [...batch, m, n]);
}

/**
 * Above this many elements (a weight, or positions × vocabulary) the ops that have a memory-saving
 * form for big models take it: `linear` as one Gemm, whose weight gradient lands in the weight's
 * [out, in] layout instead of [in, out] plus a transpose (two 0.5 GB tensors for a 0.5B model's
 * 151,936 × 896 unembedding), and the gradient of `targetLogprobs` as softmax − one-hot. Up to it every graph is node
 * for node what it was before those forms existed, so models trained before (the organisms) rebuild
 * bit for bit (the fused kernels round differently in the last bits).
 */
export const LARGE_TENSOR_ELEMENTS = 1 << 24;

/** x @ wᵀ (+ b): a linear layer with a weight stored [out, in], as PyTorch and Hugging Face store it. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  if (w.rank !== 2) throw new ShapeError(`linear: weight must be [out, in], got ${fmt(w.shape)}`);
  const y = w.size > LARGE_TENSOR_ELEMENTS ? linearGemm(x, w) : matmul(x, transpose(w, [1, 0]));
  return b ? add(y, b) : y;
}

function linearGemm(x: Tensor, w: Tensor): Tensor {
  const [out, inner] = w.shape;
  if (x.rank < 1 || x.shape[x.rank - 1] !== inner) throw new ShapeError(`linear: input ${fmt(x.shape)} does not end in the weight's ${inner} inputs`);
  const rows = reshape(x, [x.size / inner, inner]);
  return reshape(gemm(rows, w, { transB: true }), [...x.shape.slice(0, -1), out]);
}

/** op(a) @ op(b) for 2-D operands, op = transpose where flagged (the GEMM kernel reads them transposed, nothing is copied). */
export function gemm(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  if (a.dtype !== b.dtype) throw new ShapeError(`Gemm: dtype mismatch ${a.dtype}${fmt(a.shape)} vs ${b.dtype}${fmt(b.shape)}`);
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError(`Gemm: operands must be 2-D, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const transA = opts.transA ? 1 : 0;
  const transB = opts.transB ? 1 : 0;
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) throw new ShapeError(`Gemm: inner dimensions differ: ${fmt(a.shape)}${transA ? 'ᵀ' : ''} @ ${fmt(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${k2})`);
  return one(a.graph, 'Gemm', [a, b], a.dtype, [m, n], { transA, transB }, { meta: { transA, transB } });
}

function reduce(op: string, x: Tensor, axes: number[] | undefined, keepdims: boolean): Tensor {
  const ax = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(op, a, x.rank, x.shape));
  if (new Set(ax).size !== ax.length) throw new ShapeError(`${op}: repeated axes ${axes} for shape ${fmt(x.shape)}`);
  const sorted = [...ax].sort((p, q) => p - q);
  const shape = x.shape.flatMap((d, i) => (sorted.includes(i) ? (keepdims ? [1] : []) : [d]));
  const g = x.graph;
  return one(g, op, [x, g.ints(sorted)], x.dtype, shape, { keepdims: keepdims ? 1 : 0 }, { meta: { axes: sorted, keepdims } });
}
export const reduceSum = (x: Tensor, axes?: number[], keepdims = false): Tensor => reduce('ReduceSum', x, axes, keepdims);
export const reduceMean = (x: Tensor, axes?: number[], keepdims = false): Tensor => {
  requireFloat('ReduceMean', x);
  return reduce('ReduceMean', x, axes, keepdims);
};
export const reduceMax = (x: Tensor, axes?: number[], keepdims = false): Tensor => reduce('ReduceMax', x, axes, keepdims);

function softmaxLike(op: string, x: Tensor, axis: number): Tensor {
  requireFloat(op, x);
  const a = normAxis(op, axis, x.rank, x.shape);
  return one(x.graph, op, [x], x.dtype, x.shape, { axis: a }, { meta: { axis: a } });
}
/** Numerically stable (ONNX Runtime subtracts the max) softmax over one axis. */
export const softmax = (x: Tensor, axis = -1): Tensor => softmaxLike('Softmax', x, axis);
export const logSoftmax = (x: Tensor, axis = -1): Tensor => softmaxLike('LogSoftmax', x, axis);

/** Reshape with at most one -1 (inferred) dimension; sizes must match. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new ShapeError(`Reshape: more than one -1 in ${fmt(shape)}`);
  const knownSize = sizeOf(known);
  const out = shape.map((d) => (d === -1 ? x.size / Math.max(1, knownSize) : d));
  if (sizeOf(out) !== x.size || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`Reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  if (sameShape(out, x.shape)) return x;
  const g = x.graph;
  return one(g, 'Reshape', [x, g.ints(out)], x.dtype, out);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  if (a < 0 || a > x.rank) throw new ShapeError(`Unsqueeze: axis ${axis} out of range for ${fmt(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw new ShapeError(`Transpose: perm ${fmt(perm)} is not a permutation of the axes of ${fmt(x.shape)}`);
  }
  if (perm.every((p, i) => p === i)) return x;
  return one(x.graph, 'Transpose', [x], x.dtype, perm.map((p) => x.shape[p]), { perm: [...perm] }, { meta: { perm } });
}

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError('Concat: no inputs');
  const first = xs[0];
  const a = normAxis('Concat', axis, first.rank, first.shape);
  for (const t of xs) {
    if (t.dtype !== first.dtype || t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`Concat: incompatible inputs ${xs.map((u) => u.dtype + fmt(u.shape)).join(', ')} along axis ${axis}`);
    }
  }
  if (xs.length === 1) return first;
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  return one(first.graph, 'Concat', xs, first.dtype, shape, { axis: a }, { meta: { axis: a, sizes: xs.map((t) => t.shape[a]) } });
}

export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const a = normAxis('Split', axis, x.rank, x.shape);
  if (sizes.reduce((s, v) => s + v, 0) !== x.shape[a] || sizes.some((s) => s < 0)) {
    throw new ShapeError(`Split: sizes ${fmt(sizes)} do not sum to ${x.shape[a]} (axis ${axis} of ${fmt(x.shape)})`);
  }
  const g = x.graph;
  const outs = sizes.map((s) => {
    const shape = [...x.shape];
    shape[a] = s;
    return { dtype: x.dtype, shape };
  });
  return g.addNode('Split', [x, g.ints(sizes)], outs, { axis: a }, { meta: { axis: a, sizes } });
}

/** Slice with step 1 along the given axes; starts/ends may be negative (from the end) and are clamped as in NumPy. */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): Tensor {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis('Slice', a, x.rank, x.shape));
  if (starts.length !== ax.length || ends.length !== ax.length) {
    throw new ShapeError(`Slice: starts ${fmt(starts)}, ends ${fmt(ends)} and axes ${fmt(ax)} differ in length`);
  }
  const shape = [...x.shape];
  const begin: number[] = [];
  const finish: number[] = [];
  ax.forEach((a, i) => {
    const d = x.shape[a];
    const clampIdx = (v: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
    begin.push(clampIdx(starts[i]));
    finish.push(Math.max(clampIdx(starts[i]), clampIdx(ends[i])));
    shape[a] = finish[i] - begin[i];
  });
  const g = x.graph;
  return one(g, 'Slice', [x, g.ints(begin), g.ints(finish), g.ints(ax)], x.dtype, shape, {}, {
    meta: { axes: ax, starts: begin, ends: finish },
  });
}

function requireIndices(op: string, indices: Tensor): void {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') {
    throw new ShapeError(`${op}: indices must be int64 or int32, got ${indices.dtype}${fmt(indices.shape)}`);
  }
}

/** Rows of `x` along `axis` picked by `indices` (embedding lookup with axis 0). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  requireIndices('Gather', indices);
  const a = normAxis('Gather', axis, x.rank, x.shape);
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return one(x.graph, 'Gather', [x, indices], x.dtype, shape, { axis: a }, { meta: { axis: a } });
}

/** out[i][j] = x[i][indices[i][j]] along `axis` (picking target-token logprobs). */
export function gatherElements(x: Tensor, indices: Tensor, axis: number): Tensor {
  requireIndices('GatherElements', indices);
  const a = normAxis('GatherElements', axis, x.rank, x.shape);
  if (indices.rank !== x.rank || indices.shape.some((d, i) => i !== a && d > x.shape[i])) {
    throw new ShapeError(`GatherElements: indices ${fmt(indices.shape)} do not fit data ${fmt(x.shape)} on axis ${axis}`);
  }
  return one(x.graph, 'GatherElements', [x, indices], x.dtype, indices.shape, { axis: a }, { meta: { axis: a } });
}

/**
 * log softmax(logits)[target] along the last axis: [..., V] logits and [...] int64 targets → [...].
 * Above `LARGE_TENSOR_ELEMENTS` positions × vocabulary the LogSoftmax gradient rule (vjp.ts) sees that
 * only these picked values are differentiated and builds softmax − one-hot in place of the dense
 * chain (see there).
 */
export function targetLogprobs(logits: Tensor, targets: Tensor): Tensor {
  requireFloat('targetLogprobs', logits);
  requireIndices('targetLogprobs', targets);
  const lead = logits.shape.slice(0, -1);
  if (!sameShape(lead, targets.shape)) {
    throw new ShapeError(`targetLogprobs: targets ${fmt(targets.shape)} do not match logits ${fmt(logits.shape)} without its last axis`);
  }
  return reshape(gatherElements(logSoftmax(logits, -1), reshape(targets, [...lead, 1]), logits.rank - 1), lead);
}

export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const out = broadcastShapes('Expand', x.shape, shape);
  if (sameShape(out, x.shape)) return x;
  const g = x.graph;
  return one(g, 'Expand', [x, g.ints(out)], x.dtype, out);
}

export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype === x.dtype) return x;
  return one(x.graph, 'Cast', [x], dtype, x.shape, { to: onnxDataType[dtype] }, { meta: { from: x.dtype } });
}

export function cumsum(x: Tensor, axis: number, opts: { reverse?: boolean; exclusive?: boolean } = {}): Tensor {
  const a = normAxis('CumSum', axis, x.rank, x.shape);
  const g = x.graph;
  const axisT = g.constant(BigInt64Array.of(BigInt(a)), 'int64', []);
  const reverse = opts.reverse ? 1 : 0;
  const exclusive = opts.exclusive ? 1 : 0;
  return one(g, 'CumSum', [x, axisT], x.dtype, x.shape, { reverse, exclusive }, { meta: { axis: a, reverse, exclusive } });
}

/** [start, start+delta, …) below limit, as an ONNX Range node (its length is known at trace time). */
export function range(g: Graph, start: number, limit: number, delta = 1, dtype: DType = 'int64'): Tensor {
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  return one(g, 'Range', [g.scalar(start, dtype), g.scalar(limit, dtype), g.scalar(delta, dtype)], dtype, [n]);
}

/** A tensor of `shape` filled with `value`, materialized at run time (no initializer of that size in the model). */
export function fill(g: Graph, shape: readonly number[], value: number, dtype: DType): Tensor {
  const zeros = one(g, 'ConstantOfShape', [g.ints(shape)], 'float32', shape, {}, { meta: {} });
  const typed = cast(zeros, dtype);
  return value === 0 ? typed : add(typed, g.scalar(value, dtype));
}

/**
 * data with `updates` added at `indices` (last axis of indices addresses leading axes of data).
 * `ontoZeros` marks a sparse gradient scattered onto zeros: `grad` re-targets it onto another
 * gradient of the same tensor instead of adding two dense tensors.
 */
export function scatterNDAdd(data: Tensor, indices: Tensor, updates: Tensor, opts: { ontoZeros?: boolean } = {}): Tensor {
  requireIndices('ScatterND', indices);
  return one(data.graph, 'ScatterND', [data, indices, updates], data.dtype, data.shape, { reduction: 'add' }, { meta: { ontoZeros: opts.ontoZeros === true } });
}

/** data with `updates` added along `axis` at `indices`; `ontoZeros` as for `scatterNDAdd`. */
export function scatterElementsAdd(data: Tensor, indices: Tensor, updates: Tensor, axis: number, opts: { ontoZeros?: boolean } = {}): Tensor {
  requireIndices('ScatterElements', indices);
  const a = normAxis('ScatterElements', axis, data.rank, data.shape);
  return one(data.graph, 'ScatterElements', [data, indices, updates], data.dtype, data.shape, { axis: a, reduction: 'add' }, { meta: { axis: a, ontoZeros: opts.ontoZeros === true } });
}

/** Zero padding: `before[i]`/`after[i]` elements on each axis. */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  if (before.length !== x.rank || after.length !== x.rank) throw new ShapeError(`Pad: pads do not match rank of ${fmt(x.shape)}`);
  const g = x.graph;
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  return one(g, 'Pad', [x, g.ints([...before, ...after])], x.dtype, shape, { mode: 'constant' }, { meta: { before, after } });
}

