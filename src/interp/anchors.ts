/**
 * Anchor / adapter layers by an explicit rule over measured quantities (never a hard-coded list):
 *
 * - function score Φ(l): normalized recovery of the answer log-prob when layer l's hook_mlp_out is
 *   patched from RL into base (all positions), with its bootstrap CI and its random-direction null;
 * - structure score Σ(l): JSD (bits) between base and RL lens distributions at hook_mlp_out, with
 *   the relative weight change ‖W_RL − W_base‖_F / ‖W_base‖_F of the layer's MLP reported beside it.
 *
 * Anchor: Φ(l) ≥ `minRecovery`, the CI's lower end above the null's 95th percentile, the
 * null p-value adjusted across layers (Holm or BH) ≤ α, and — necessity — resetting layer l's own
 * MLP weights to the base model's in the RL model removes at least `minNecessity` of the RL − base
 * gap with its bootstrap CI above 0. Patching alone names a layer whose weights never changed but
 * whose output carries an earlier layer's change; the weight reset does not. (An intersection of
 * two tests, each at its level, needs no further adjustment.) Without an ablation result the rule
 * is sufficiency-only and says so. Adapter: not an anchor, deeper than the
 * first anchor, Σ(l) in the top third of layers with its CI above 0, and Φ(l)'s CI upper end below
 * `minRecovery` (changed a lot, does not by itself restore the answer). With N null draws the smallest
 * possible adjusted p is about L/(N+1) for Holm; the result says when no layer can pass for that reason.
 */
import type { CausalLM } from '../model/causal-lm.ts';
import type { LensSummary } from './lens.ts';
import type { AblationResult } from './ablation.ts';
import type { PatchResult } from './patching.ts';
import type { Interval } from './stats.ts';

export interface AnchorRule {
  min_recovery: number;
  alpha: number;
  structure_top_fraction: number;
  /** Share of the RL − base gap that resetting the layer's MLP to base must remove (CI > 0 as well). */
  min_necessity: number;
}

export const DEFAULT_RULE: AnchorRule = { min_recovery: 0.2, alpha: 0.05, structure_top_fraction: 1 / 3, min_necessity: 0.1 };

export interface AnchorLayer {
  layer: number;
  recovery: number | null;
  recovery_ci: [number, number] | null;
  null_p95: number | null;
  p_adjusted: number | null;
  mlp_jsd: Interval | null;
  weight_change: number;
  /** Share of the RL − base gap removed by resetting this layer's MLP weights to base (null without ablations). */
  necessity: Interval | null;
  role: 'anchor' | 'adapter' | 'none';
}

export interface AnchorResult {
  rule: AnchorRule & { text: string };
  group: string;
  layers: AnchorLayer[];
  anchors: number[];
  adapters: number[];
  notes: string[];
}

/** ‖W_a − W_b‖_F / ‖W_b‖_F over a layer's MLP matrices. */
export function mlpWeightChange(a: CausalLM, b: CausalLM, layer: number): number {
  let diff = 0;
  let norm = 0;
  for (const part of ['gate_proj', 'up_proj', 'down_proj']) {
    const name = `model.layers.${layer}.mlp.${part}.weight`;
    const x = a.params.view(name);
    const y = b.params.view(name);
    for (let i = 0; i < x.length; i++) {
      diff += (x[i] - y[i]) ** 2;
      norm += y[i] * y[i];
    }
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

export function identifyAnchors(patching: PatchResult, lens: LensSummary | null, weightChange: number[], rule: AnchorRule = DEFAULT_RULE, group = 'all', ablation: AblationResult | null = null): AnchorResult {
  const notes: string[] = [];
  const resets = new Map((ablation?.rows ?? []).filter((r) => r.kind === 'reset' && r.part === 'mlp' && r.group === group).map((r) => [r.layer, r.gap_removed]));
  if (resets.size === 0) notes.push('no MLP reset ablation: anchors are named on patching alone (no necessity check; a layer that only carries an earlier change can pass)');
  const cells = patching.cells.filter((c) => c.site === 'mlp_out' && c.positions === 'all' && c.group === group);
  if (cells.length === 0) notes.push(`no hook_mlp_out patching with positions=all for group '${group}'`);
  const jsd = new Map((lens?.jsd.between_models ?? []).filter((r) => r.site === 'mlp_out' && r.group === group).map((r) => [r.layer, r.jsd]));
  if (!lens || jsd.size === 0) notes.push('no base-vs-RL JSD at hook_mlp_out: adapters cannot be identified');
  const layers: AnchorLayer[] = cells.map((c) => ({
    layer: c.layer,
    recovery: c.recovery,
    recovery_ci: c.ci,
    null_p95: c.null?.p95 ?? null,
    p_adjusted: c.null?.p_adjusted ?? null,
    mlp_jsd: jsd.get(c.layer) ?? null,
    weight_change: weightChange[c.layer] ?? NaN,
    necessity: resets.get(c.layer) ?? null,
    role: 'none',
  }));
  const necessary = (l: AnchorLayer) => resets.size === 0 || (l.necessity !== null && l.necessity.value !== null && l.necessity.ci !== null && l.necessity.value >= rule.min_necessity && l.necessity.ci[0] > 0);
  const candidates = layers.filter((l) => l.recovery !== null && l.recovery >= rule.min_recovery && necessary(l));
  const draws = cells.find((c) => c.null)?.null?.draws ?? 0;
  if (cells.length > 0 && cells.every((c) => c.recovery === null)) notes.push('the two models give the same answer log-probabilities on these items: no change to localize');
  else if (draws === 0 && candidates.length > 0) notes.push('no random-direction null at hook_mlp_out: anchors need one');
  else if (draws > 0 && (patching.correction === 'holm' ? layers.length : 1) / (draws + 1) > rule.alpha)
    notes.push(`with ${draws} null draws and ${layers.length} layers the smallest adjusted p exceeds α = ${rule.alpha}: no layer can pass; raise --null-draws`);
  for (const l of layers) {
    const sufficient = l.recovery !== null && l.recovery_ci && l.null_p95 !== null && l.p_adjusted !== null && l.recovery >= rule.min_recovery && l.recovery_ci[0] > l.null_p95 && l.p_adjusted <= rule.alpha;
    if (sufficient && necessary(l)) l.role = 'anchor';
    else if (l.recovery !== null && l.recovery >= rule.min_recovery && !necessary(l)) {
      const g = l.necessity;
      notes.push(`layer ${l.layer}: its patched MLP output recovers ${l.recovery.toFixed(2)} of the effect, but resetting its MLP weights removes ${g?.value != null ? `${g.value.toFixed(2)}${g.ci ? ` [${g.ci[0].toFixed(2)}, ${g.ci[1].toFixed(2)}]` : ''}` : 'nothing measurable'} of the gap: it carries an earlier change, not an anchor`);
    }
  }
  const firstAnchor = Math.min(...layers.filter((l) => l.role === 'anchor').map((l) => l.layer));
  const withJsd = layers.filter((l) => l.mlp_jsd?.value !== null && l.mlp_jsd !== null);
  const ranked = [...withJsd].sort((a, b) => (b.mlp_jsd!.value ?? 0) - (a.mlp_jsd!.value ?? 0));
  const top = new Set(ranked.slice(0, Math.max(1, Math.ceil(layers.length * rule.structure_top_fraction))).map((l) => l.layer));
  for (const l of layers) {
    if (l.role !== 'none' || !Number.isFinite(firstAnchor) || l.layer <= firstAnchor || !top.has(l.layer)) continue;
    const jsdLow = l.mlp_jsd?.ci?.[0] ?? 0;
    const recHigh = l.recovery_ci?.[1] ?? Infinity;
    if (jsdLow > 0 && recHigh < rule.min_recovery) l.role = 'adapter';
  }
  if (!Number.isFinite(firstAnchor)) notes.push('no anchor layer: adapters (defined relative to the first anchor) are not assigned');
  return {
    rule: {
      ...rule,
      text: `anchor: MLP-output patching recovery ≥ ${rule.min_recovery}, CI lower end > the random-direction null's 95th percentile, ${patching.correction}-adjusted null p ≤ ${rule.alpha}${resets.size > 0 ? `, and resetting the layer's MLP weights to base removes ≥ ${rule.min_necessity} of the RL − base gap (CI > 0)` : ' (no necessity check: no MLP reset ablation)'}; adapter: not an anchor, after the first anchor, base-vs-RL JSD at mlp_out in the top ${(rule.structure_top_fraction * 100).toFixed(0)}% of layers with CI > 0, recovery CI upper end < ${rule.min_recovery}`,
    },
    group,
    layers,
    anchors: layers.filter((l) => l.role === 'anchor').map((l) => l.layer),
    adapters: layers.filter((l) => l.role === 'adapter').map((l) => l.layer),
    notes,
  };
}
