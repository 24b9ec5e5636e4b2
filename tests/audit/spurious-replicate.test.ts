import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { SpuriousSummary } from '../../src/audit/spurious.ts';
import { aggregate, parseSeeds } from '../../src/audit/spurious-replicate.ts';
import { UserError } from '../../src/util/errors.ts';

const mode = (code_share: number) => ({ code_share, accuracy: { code: null, prose: null } });
const gain = (value: number, lo: number, hi: number) => ({
  before: { value: 0.3, ci: [0.2, 0.4] as [number, number] },
  after: { value: 0.3 + value, ci: [0.2, 0.4] as [number, number] },
  gain: { value, ci: [lo, hi] as [number, number] },
  trend: lo > 0 ? ('up' as const) : hi < 0 ? ('down' as const) : ('flat' as const),
  modes: { before: mode(0.1), after: mode(0.1 + value) },
});

/** A summary with only the fields aggregate() reads. */
function summary(rule: SpuriousSummary['verdict']['rule'], contains: [number, number, number]): SpuriousSummary {
  return {
    verdict: { rule, text: rule, notes: [] },
    variants: [
      { variant: 'ground_truth', suspect: gain(0.1, 0.02, 0.2), clean: gain(0.1, 0.02, 0.2) },
      { variant: 'contains', suspect: gain(...contains), clean: gain(0, -0.05, 0.05) },
    ],
  } as unknown as SpuriousSummary;
}

test('aggregate over seeds: gains per seed, share of seeds up / down per variant, share of seeds per verdict rule', () => {
  const runs = [
    { subject: 'organism' as const, seed: 1, out: 'o/seed-1', summary: summary('memorization_unlocked', [0.2, 0.1, 0.3]) },
    { subject: 'organism' as const, seed: 2, out: 'o/seed-2', summary: summary('memorization_unlocked', [0.1, 0.02, 0.2]) },
    { subject: 'organism' as const, seed: 3, out: 'o/seed-3', summary: summary('signal_matters', [-0.1, -0.2, -0.01]) },
    { subject: 'organism' as const, seed: 4, out: 'o/seed-4', summary: summary('signal_matters', [0, -0.1, 0.1]) },
  ];
  const a = aggregate('organism', 'm', runs);
  assert.deepEqual(a.verdict_share, { memorization_unlocked: 0.5, signal_matters: 0.5 });
  const contains = a.variants.find((v) => v.variant === 'contains')!;
  assert.deepEqual(contains.suspect.seeds.map((g) => g.seed), [1, 2, 3, 4]);
  assert.deepEqual(contains.suspect.seeds.map((g) => g.trend), ['up', 'up', 'down', 'flat']);
  assert.equal(contains.suspect.up_share, 0.5);
  assert.equal(contains.suspect.down_share, 0.25);
  assert.ok(Math.abs(contains.suspect.mean_gain - 0.05) < 1e-12);
  assert.ok(Math.abs(contains.suspect.seeds[0].code_share_after - 0.3) < 1e-12);
  assert.equal(contains.clean.up_share, 0);
  assert.equal(a.variants.find((v) => v.variant === 'ground_truth')!.clean.up_share, 1);
  assert.deepEqual(a.runs.map((r) => r.out), ['o/seed-1', 'o/seed-2', 'o/seed-3', 'o/seed-4']);
});

test('--seeds parsing: a comma list of distinct non-negative integers, else one clear error', () => {
  assert.deepEqual(parseSeeds('1,2, 3'), [1, 2, 3]);
  for (const bad of ['1,,2', '1,x', '-1', '1,1', '1.5']) assert.throws(() => parseSeeds(bad), UserError, bad);
  const r = spawnSync(process.execPath, ['bin/rlvr.mjs', 'audit', 'spurious', '--config', 'nonexistent.yaml', '--seeds', '1,1'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--seeds lists a seed twice: 1,1/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
