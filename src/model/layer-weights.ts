/**
 * Per-layer weight surgery between two loaded checkpoints of the same shape: copy one layer's MLP
 * or attention weights from `from` into `into` (or overwrite them with given values), with an undo.
 * Graphs take weights as inputs, so nothing recompiles.
 */
import { UserError } from '../util/errors.ts';
import type { CausalLM } from './causal-lm.ts';

export type LayerPart = 'mlp' | 'attn';

/** Parameter names of one layer's MLP (gate/up/down) or attention (q/k/v/o with their biases). */
export function layerPartParams(lm: CausalLM, layer: number, part: LayerPart): string[] {
  if (!Number.isInteger(layer) || layer < 0 || layer >= lm.config.numLayers) {
    throw new UserError(`layer ${layer} is out of range: the model has layers 0..${lm.config.numLayers - 1}`);
  }
  const prefix = `model.layers.${layer}.${part === 'mlp' ? 'mlp' : 'self_attn'}.`;
  return lm.params.specs.map((s) => s.name).filter((n) => n.startsWith(prefix));
}

export function assertSameShapes(a: CausalLM, b: CausalLM): void {
  const shapes = (lm: CausalLM) => new Map(lm.params.specs.map((s) => [s.name, s.shape.join('x')]));
  const sa = shapes(a);
  const sb = shapes(b);
  const problems = [...sa].filter(([n, s]) => sb.get(n) !== s).map(([n, s]) => `${n} ${s} vs ${sb.get(n) ?? 'missing'}`);
  for (const n of sb.keys()) if (!sa.has(n)) problems.push(`${n} missing in ${a.source}`);
  if (problems.length > 0) throw new UserError(`${a.source} and ${b.source} do not have the same parameters: ${problems.slice(0, 5).join('; ')}`);
}

/**
 * Overwrites parameters of `into` (name → new values, or copied from `from`), returning the undo
 * that restores the previous values.
 */
export function overwriteParams(into: CausalLM, values: Map<string, Float32Array>): () => void {
  const saved = new Map<string, Float32Array>();
  for (const [name, v] of values) {
    const view = into.params.view(name);
    if (view.length !== v.length) throw new UserError(`${into.source}: '${name}' has ${view.length} values, not ${v.length}`);
    saved.set(name, view.slice());
    view.set(v);
  }
  return () => {
    for (const [name, v] of saved) into.params.view(name).set(v);
  };
}

/** Copies layer `layer`'s `part` weights from `from` into `into`; returns the undo. */
export function swapLayerWeights(into: CausalLM, from: CausalLM, layer: number, part: LayerPart): () => void {
  assertSameShapes(into, from);
  return overwriteParams(into, new Map(layerPartParams(into, layer, part).map((n) => [n, from.params.view(n)])));
}
