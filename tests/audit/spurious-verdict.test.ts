import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairedGain, type ModelScore } from '../../src/audit/spurious-eval.ts';
import { trend, verdict, type VariantGains } from '../../src/audit/spurious-verdict.ts';
import { bootstrapMeanCI } from '../../src/eval/bootstrap.ts';
import type { Estimate } from '../../src/eval/metrics.ts';

const names = { suspect: 'leaked', clean: 'clean' };
const up = (v = 0.2): Estimate => ({ value: v, ci: [v - 0.1, v + 0.1] });
const flat: Estimate = { value: 0.03, ci: [-0.05, 0.11] };
const down: Estimate = { value: -0.2, ci: [-0.3, -0.1] };
const g = (variant: VariantGains['variant'], suspect: Estimate, clean: Estimate): VariantGains => ({ variant, suspect, clean });

test('trend: up when the CI is above zero, down when below, flat when it contains zero', () => {
  assert.equal(trend(up()), 'up');
  assert.equal(trend(down), 'down');
  assert.equal(trend(flat), 'flat');
  assert.equal(trend({ value: 0.1, ci: [0, 0.2] }), 'flat');
});

test('rule 1: every reward gains on both sets → format/exploration effect', () => {
  const v = verdict([g('ground_truth', up(), up()), g('random', up(), up()), g('format', up(), up())], names);
  assert.equal(v.rule, 'every_reward_gains');
  assert.match(v.text, /every reward on both sets/);
});

test('rule 2: a spurious gain on SUSPECT but not on CLEAN → memorization unlocked, naming the largest', () => {
  const v = verdict([g('ground_truth', up(0.3), up(0.2)), g('random', up(0.25), flat), g('incorrect_label', up(0.15), flat), g('format', flat, flat)], names);
  assert.equal(v.rule, 'memorization_unlocked');
  assert.match(v.text, /^gain on SUSPECT persists under the random reward \(SUSPECT \(leaked\): \+25\.0 pts, CI \[\+15\.0 pts, \+35\.0 pts\]\) and not on CLEAN/);
  assert.match(v.text, /also under incorrect_label/);
  assert.match(v.text, /consistent with memorization being unlocked$/);
});

test('rule 2 holds when CLEAN falls, and the drop becomes a note', () => {
  const v = verdict([g('ground_truth', up(), flat), g('random', up(), down)], names);
  assert.equal(v.rule, 'memorization_unlocked');
  assert.deepEqual(v.notes, ['accuracy on CLEAN (clean) falls under the random reward (−20.0 pts, CI [−30.0 pts, −10.0 pts])']);
});

test('rule 3: a spurious gain on CLEAN (not every reward everywhere) → not specific to memorized items', () => {
  const v = verdict([g('ground_truth', up(), up()), g('random', up(), up()), g('format', flat, flat)], names);
  assert.equal(v.rule, 'spurious_gains_clean');
  assert.match(v.text, /the random reward also gains on CLEAN/);
});

test('rule 4: only ground truth gains → the reward signal matters', () => {
  const v = verdict([g('ground_truth', up(), flat), g('random', flat, flat), g('incorrect_label', flat, down), g('format', flat, flat)], names);
  assert.equal(v.rule, 'signal_matters');
  assert.match(v.text, /^no variant except ground truth gains/);
  assert.equal(v.notes.length, 1);
});

test('rule 5: every CI overlaps zero → inconclusive', () => {
  const v = verdict([g('ground_truth', flat, flat), g('random', flat, flat), g('format', flat, flat)], names);
  assert.equal(v.rule, 'inconclusive');
  assert.match(v.text, /CIs overlap zero/);
});

test('rule 5 with drops: no gain, and the variants whose CI lies below zero are named as degrading the model', () => {
  const v = verdict([g('ground_truth', down, flat), g('random', flat, down), g('format', flat, flat)], names);
  assert.equal(v.rule, 'inconclusive');
  assert.match(v.text, /ground_truth, random lost accuracy \(CI below zero/);
  assert.doesNotMatch(v.text, /overlap zero/);
  assert.equal(v.notes.length, 2);
});

test('ground truth alone gaining everywhere is rule 4, not rule 1 (rule 1 needs a spurious variant)', () => {
  assert.equal(verdict([g('ground_truth', up(), up())], names).rule, 'signal_matters');
});

const modes = { code_share: 0, accuracy: { code: null, prose: null } };
const score = (bits: number[]): ModelScore => ({
  modes,
  accuracy: { value: bits.reduce((a, b) => a + b, 0) / bits.length, ci: [0, 1] },
  correct: new Map(bits.map((b, i) => [`q${i}`, b])),
});

test('paired gain: the mean per-item difference, with a CI that pairs the items', () => {
  // 40 items: 30 solved before and after, 6 newly solved, 4 unsolved either way
  const before = [...Array(30).fill(1), ...Array(10).fill(0)];
  const after = [...Array(30).fill(1), ...Array(6).fill(1), ...Array(4).fill(0)];
  const gain = pairedGain(score(before), score(after), { seed: 0 });
  assert.equal(gain.value, 6 / 40);
  // The CI is the bootstrap of the per-item differences (0 × 30, 1 × 6, 0 × 4)...
  assert.deepEqual(gain.ci, bootstrapMeanCI([...Array(30).fill(0), ...Array(6).fill(1), ...Array(4).fill(0)], { seed: 0 }));
  // ...and lies above zero, whereas the two accuracies' own CIs overlap.
  assert.ok(gain.ci[0] > 0);
  const [ciBefore, ciAfter] = [bootstrapMeanCI(before, { seed: 1 }), bootstrapMeanCI(after, { seed: 2 })];
  assert.ok(ciBefore[1] >= ciAfter[0], `accuracy CIs ${ciBefore} and ${ciAfter} do not overlap`);
  assert.deepEqual(pairedGain(score(after), score(after), {}), { value: 0, ci: [0, 0] });
});

test('paired gain matches items by id, whatever the order', () => {
  const before: ModelScore = { accuracy: up(), modes, correct: new Map([['a', 0], ['b', 1], ['c', 0]]) };
  const after: ModelScore = { accuracy: up(), modes, correct: new Map([['c', 1], ['a', 1], ['b', 1]]) };
  assert.equal(pairedGain(before, after, {}).value, 2 / 3);
});

test('inverted variant: a note when it fails to lower CLEAN accuracy, none when it does', () => {
  const quiet = verdict([g('ground_truth', up(), up()), g('inverted', flat, down)], names);
  assert.equal(quiet.notes.filter((n) => n.includes('inverted reward (1 − the verifiable reward) did not')).length, 0);
  const loud = verdict([g('ground_truth', up(), up()), g('inverted', flat, flat)], names);
  assert.equal(loud.notes.filter((n) => n.includes('inverted reward (1 − the verifiable reward) did not lower accuracy on CLEAN')).length, 1);
});
