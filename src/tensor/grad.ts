import { isFloat } from './dtype.ts';
import { NoGradientError, ShapeError } from './errors.ts';
import type { Graph, Node, Tensor } from './graph.ts';
import * as op from './ops.ts';
import { fmt, sameShape } from './shape.ts';
import { unsupportedReason, vjpRules } from './vjp.ts';

/** Sums a gradient over the axes that broadcasting added or stretched, so it matches `shape`. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? op.reduceSum(g, axes, true) : g;
  return op.reshape(summed, shape);
}

function describe(node: Node): string {
  return `${node.opType}(${node.inputs.map((t) => (t ? `${t.dtype}${fmt(t.shape)}` : '∅')).join(', ')})`;
}

/**
 * a + b for two gradients of one tensor; when one is a sparse gradient scattered onto zeros (an
 * embedding lookup's, a picked log-probability's), its updates are scattered onto the other
 * instead: one dense tensor, not three (zeros, scattered, sum — 0.5 GB each for a 0.5B model's
 * tied embedding or its [positions × vocabulary] logits).
 */
function accumulate(a: Tensor, b: Tensor, scatteredOntoZeros: ReadonlyMap<string, Node>): Tensor {
  const sparse = scatteredOntoZeros.get(b.name) ?? scatteredOntoZeros.get(a.name);
  if (!sparse) return op.add(a, b);
  const dense = sparse.outputs[0].name === b.name ? a : b;
  const [indices, updates] = [sparse.inputs[1] as Tensor, sparse.inputs[2] as Tensor];
  if (sparse.opType === 'ScatterElements') return op.scatterElementsAdd(dense, indices, updates, (sparse.meta as { axis: number }).axis);
  return op.scatterNDAdd(dense, indices, updates);
}

/**
 * Reverse-mode differentiation on the traced graph: appends the backward ops to `loss`'s graph and
 * returns d(loss)/d(wrt[i]) for each i (zeros for a tensor the loss does not depend on).
 * `seed` is the incoming gradient for a non-scalar `loss` (defaults to ones for a 1-element loss).
 */
export function grad(loss: Tensor, wrt: Tensor[], seed?: Tensor): Tensor[] {
  const g: Graph = loss.graph;
  if (!isFloat(loss.dtype)) throw new ShapeError(`grad: loss must be a float tensor, got ${loss.dtype}${fmt(loss.shape)}`);
  if (!seed && loss.size !== 1) {
    throw new ShapeError(`grad: loss must have one element (got ${fmt(loss.shape)}); pass a seed gradient for non-scalar outputs`);
  }
  if (seed && !sameShape(seed.shape, loss.shape)) {
    throw new ShapeError(`grad: seed shape ${fmt(seed.shape)} differs from loss shape ${fmt(loss.shape)}`);
  }
  for (const w of wrt) {
    if (w.graph !== g) throw new ShapeError(`grad: ${w.name} belongs to another graph`);
    if (!isFloat(w.dtype)) throw new ShapeError(`grad: cannot differentiate with respect to ${w.dtype} tensor ${w.name}`);
  }

  // Forward sweep: which values depend (differentiably) on any of `wrt`.
  const active = new Set(wrt.map((w) => w.name));
  const nodes = g.nodes.slice();
  for (const node of nodes) {
    if (node.rule === 'StopGradient') continue;
    if (node.inputs.some((t) => t && active.has(t.name))) {
      for (const o of node.outputs) if (isFloat(o.dtype)) active.add(o.name);
    }
  }

  const grads = new Map<string, Tensor>();
  const scatteredOntoZeros = new Map<string, Node>();
  const producers = new Map<string, Node>();
  for (const node of nodes) for (const o of node.outputs) producers.set(o.name, node);
  const ctx = { scatteredOntoZeros: (t: Tensor) => scatteredOntoZeros.get(t.name), producer: (t: Tensor) => producers.get(t.name) };
  grads.set(loss.name, seed ?? (loss.rank === 0 ? g.scalar(1, loss.dtype) : op.fill(g, loss.shape, 1, loss.dtype)));

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node.outputs.some((o) => grads.has(o.name))) continue;
    const needs = node.inputs.map((t) => t !== null && active.has(t.name));
    if (!needs.some(Boolean) || node.rule === 'StopGradient') continue;
    const rule = node.rule in vjpRules ? vjpRules[node.rule] : undefined;
    const reason = rule === undefined ? `no gradient rule for ${node.opType}` : unsupportedReason(node);
    if (reason || rule === undefined) {
      throw new NoGradientError(`grad: ${reason}; needed for ${describe(node)} on the path to the loss`);
    }
    const gOut = node.outputs.map((o) => grads.get(o.name) ?? op.fill(g, o.shape, 0, o.dtype));
    const created = g.nodes.length;
    const gIn = rule(node, gOut, needs, ctx);
    for (const n of g.nodes.slice(created)) if ((n.meta as { ontoZeros?: boolean } | undefined)?.ontoZeros) scatteredOntoZeros.set(n.outputs[0].name, n);
    node.inputs.forEach((input, k) => {
      const gi = gIn[k];
      if (!input || !needs[k] || !gi) return;
      const reduced = unbroadcast(gi, input.shape);
      const prev = grads.get(input.name);
      grads.set(input.name, prev ? accumulate(prev, reduced, scatteredOntoZeros) : reduced);
    });
  }
  return wrt.map((w) => grads.get(w.name) ?? op.fill(g, w.shape, 0, w.dtype));
}
