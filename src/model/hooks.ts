/**
 * Hook points (TransformerLens names, ../shared/DESIGN.md §4) compiled into a graph only when a
 * plan asks for them. Values (replacements, per-neuron scales) are graph inputs, so changing them
 * never recompiles; only the set of hooked names is part of the graph's identity.
 */
import type * as T from '../tensor/index.ts';
import * as op from '../tensor/ops.ts';
import { UserError } from '../util/errors.ts';
import type { HookFn } from './transformer.ts';

export interface HookPlan {
  /** Activations to return, by hook name. */
  cache?: string[];
  /** Activations to replace with fed values (input `replace:<name>`, same shape as the activation). */
  replace?: string[];
  /** `blocks.{l}.mlp.hook_post` names whose neurons are multiplied by a fed vector (input `scale:<name>`, [intermediate]). */
  scale?: string[];
}

export function hookPlanKey(plan: HookPlan | undefined): string {
  if (!plan) return 'nohooks';
  const part = (xs?: string[]) => [...(xs ?? [])].sort().join(',');
  return `cache=${part(plan.cache)};replace=${part(plan.replace)};scale=${part(plan.scale)}`;
}

/** Every hook name of a model with `numLayers` layers. */
export function hookNames(numLayers: number): string[] {
  const perLayer = ['hook_resid_pre', 'attn.hook_z', 'hook_attn_out', 'hook_resid_mid', 'mlp.hook_pre', 'mlp.hook_pre_linear', 'mlp.hook_post', 'hook_mlp_out', 'hook_resid_post'];
  const names = ['hook_embed'];
  for (let l = 0; l < numLayers; l++) for (const p of perLayer) names.push(`blocks.${l}.${p}`);
  names.push('ln_final.hook_normalized');
  return names;
}

export function validateHookPlan(plan: HookPlan, numLayers: number): void {
  const known = new Set(hookNames(numLayers));
  for (const name of [...(plan.cache ?? []), ...(plan.replace ?? []), ...(plan.scale ?? [])]) {
    if (!known.has(name)) {
      throw new UserError(`unknown hook point '${name}'; this model has hook_embed, blocks.{0..${numLayers - 1}}.{hook_resid_pre, attn.hook_z, hook_attn_out, hook_resid_mid, mlp.hook_pre, mlp.hook_pre_linear, mlp.hook_post, hook_mlp_out, hook_resid_post}, ln_final.hook_normalized`);
    }
  }
}

/** The hook function for a plan: records cached activations in `hooked`, swaps in replacements, scales neurons. */
export function compileHooks(
  plan: HookPlan | undefined,
  io: { input(name: string, dtype: T.DType, shape: readonly number[]): T.Tensor },
  hooked: Record<string, T.Tensor>,
): HookFn {
  if (!plan) return (_name, v) => v;
  const cache = new Set(plan.cache ?? []);
  const replace = new Set(plan.replace ?? []);
  const scale = new Set(plan.scale ?? []);
  for (const name of scale) {
    if (!/^blocks\.\d+\.mlp\.hook_post$/.test(name)) throw new UserError(`hook '${name}': neuron scaling applies to blocks.{l}.mlp.hook_post only`);
  }
  return (name, value) => {
    let v = value;
    if (scale.has(name)) v = op.mul(v, io.input(`scale:${name}`, v.dtype, [v.shape[v.rank - 1]]));
    if (replace.has(name)) v = io.input(`replace:${name}`, v.dtype, v.shape);
    if (cache.has(name)) hooked[name] = v;
    return v;
  };
}
