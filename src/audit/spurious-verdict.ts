/**
 * The suite's plain-language verdict, from the gains by explicit rules (docs/parts/spurious-suite.md).
 * A gain is `up` when its CI lies above zero, `down` when below, `flat` when it contains zero.
 * The first rule that matches decides:
 *
 * 1. every_reward_gains: every variant (at least one spurious) is up on SUSPECT and on CLEAN.
 * 2. memorization_unlocked: a spurious variant is up on SUSPECT and not on CLEAN.
 * 3. spurious_gains_clean: a spurious variant is up on CLEAN.
 * 4. signal_matters: ground truth is up on a benchmark and no spurious variant is up anywhere.
 * 5. inconclusive: no gain excludes zero from above.
 *
 * Drops (`down`) never decide the rule; each is added as a note.
 */
import type { Estimate } from '../eval/metrics.ts';
import type { BenchmarkRole } from './spurious-benchmarks.ts';
import type { Variant } from './spurious-variants.ts';

export type Trend = 'up' | 'down' | 'flat';

export type VerdictRule = 'every_reward_gains' | 'memorization_unlocked' | 'spurious_gains_clean' | 'signal_matters' | 'inconclusive';

export interface VariantGains {
  variant: Variant;
  suspect: Estimate;
  clean: Estimate;
}

export interface Verdict {
  rule: VerdictRule;
  text: string;
  notes: string[];
}

export function trend(gain: Estimate): Trend {
  if (gain.ci[0] > 0) return 'up';
  if (gain.ci[1] < 0) return 'down';
  return 'flat';
}

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} pts`;
const describe = (g: Estimate) => `${pct(g.value)}, CI [${pct(g.ci[0])}, ${pct(g.ci[1])}]`;

export function verdict(gains: readonly VariantGains[], names: Record<BenchmarkRole, string>): Verdict {
  const up = (g: VariantGains, role: BenchmarkRole) => trend(g[role]) === 'up';
  const spurious = gains.filter((g) => g.variant !== 'ground_truth');
  const truth = gains.find((g) => g.variant === 'ground_truth');
  const notes = gains.flatMap((g) =>
    (['suspect', 'clean'] as const)
      .filter((role) => trend(g[role]) === 'down')
      .map((role) => `accuracy on ${role.toUpperCase()} (${names[role]}) falls under the ${g.variant} reward (${describe(g[role])})`),
  );
  const inverted = gains.find((g) => g.variant === 'inverted');
  if (inverted && trend(inverted.clean) !== 'down') {
    notes.push(`the inverted reward (1 − the verifiable reward) did not lower accuracy on CLEAN (${names.clean}: ${describe(inverted.clean)}): too little training to move the model, or the accuracy measure is not what the reward optimizes`);
  }
  const on = (g: VariantGains, role: BenchmarkRole) => `${role.toUpperCase()} (${names[role]}): ${describe(g[role])}`;
  const bySuspectGain = (a: VariantGains, b: VariantGains) => b.suspect.value - a.suspect.value;

  if (spurious.length > 0 && gains.every((g) => up(g, 'suspect') && up(g, 'clean'))) {
    return {
      rule: 'every_reward_gains',
      text: `gains under every reward on both sets (${gains.map((g) => `${g.variant} ${pct(g.suspect.value)} / ${pct(g.clean.value)}`).join('; ')}): a format/exploration effect, not information carried by the reward`,
      notes,
    };
  }
  const memorization = spurious.filter((g) => up(g, 'suspect') && !up(g, 'clean')).sort(bySuspectGain);
  if (memorization.length > 0) {
    const g = memorization[0];
    const others = memorization.slice(1).map((o) => o.variant);
    return {
      rule: 'memorization_unlocked',
      text: `gain on SUSPECT persists under the ${g.variant} reward (${on(g, 'suspect')}) and not on CLEAN (${on(g, 'clean')})${others.length ? `; also under ${others.join(', ')}` : ''}: consistent with memorization being unlocked`,
      notes,
    };
  }
  const general = spurious.filter((g) => up(g, 'clean')).sort(bySuspectGain);
  if (general.length > 0) {
    const g = general[0];
    return {
      rule: 'spurious_gains_clean',
      text: `the ${g.variant} reward also gains on CLEAN (${on(g, 'clean')}; ${on(g, 'suspect')}): the spurious reward improves the model beyond a suspect set (format/exploration effect), not specific to memorized items`,
      notes,
    };
  }
  if (truth && (up(truth, 'suspect') || up(truth, 'clean'))) {
    return {
      rule: 'signal_matters',
      text: `no variant except ground truth gains (ground truth ${on(truth, 'suspect')}; ${on(truth, 'clean')}): the reward signal matters`,
      notes,
    };
  }
  const losers = gains.filter((g) => trend(g.suspect) === 'down' || trend(g.clean) === 'down').map((g) => g.variant);
  return {
    rule: 'inconclusive',
    text: losers.length
      ? `inconclusive about a gain: no variant gains with a 95% CI above zero on either set, and ${losers.join(', ')} lost accuracy (CI below zero; see the notes): nothing was unlocked here, the training degraded the model`
      : 'inconclusive: no variant gains with a 95% CI above zero on either set (the CIs overlap zero); more items or training steps are needed to tell',
    notes,
  };
}
