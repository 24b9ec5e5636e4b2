import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyOverride, parseTrainConfig } from '../../src/rl/config.ts';

const base = () => ({
  model: 'some/model',
  data: { train: { generator: 'arithmetic', n: 10 } },
  rewards: [{ name: 'accuracy' }],
  train: { steps: 3 },
});

test('a minimal config gets every default filled in', () => {
  const cfg = parseTrainConfig(base(), 'cfg.yaml');
  assert.equal(cfg.kind, 'grpo');
  assert.equal(cfg.rollout.n, 8);
  assert.equal(cfg.algorithm.clip_ratio_low, 0.2);
  assert.equal(cfg.algorithm.dynamic_sampling.enabled, false);
  assert.equal(cfg.optim.schedule, 'constant');
  assert.equal(cfg.algorithm.reference_model, 'initial');
});

test('bad configs are rejected before any compute, naming the key and what was expected', () => {
  const cases: Array<[(c: ReturnType<typeof base> & Record<string, unknown>) => void, RegExp]> = [
    [(c) => Object.assign(c, { algorithm: { clip_ratoi: 0.3 } }), /unknown key 'algorithm.clip_ratoi'/],
    [(c) => Object.assign(c, { lr: 1 }), /unknown key 'lr'/],
    [(c) => Object.assign(c.train, { steps: 'ten' }), /train\.steps: .*expected number/i],
    [(c) => Object.assign(c, { rollout: { temperature: -1 } }), /rollout\.temperature/],
    [(c) => Object.assign(c, { algorithm: { kl_coef: 0.1, reference_model: null } }), /reference_model: null, but kl_coef = 0.1 needs a reference model/],
    [(c) => Object.assign(c, { algorithm: { ace: { enabled: true }, reference_model: null } }), /ACE needs a reference model/],
    [(c) => Object.assign(c, { rollout: { n: 1 } }), /rollout\.n: grpo needs a group of at least 2 rollouts per prompt, got 1/],
    [(c) => delete (c as Record<string, unknown>).rewards, /rewards: required for kind grpo/],
    [(c) => Object.assign(c, { algorithm: { loss_agg_mode: 'mean' } }), /algorithm\.loss_agg_mode/],
  ];
  for (const [mutate, message] of cases) {
    const c = base() as ReturnType<typeof base> & Record<string, unknown>;
    mutate(c);
    assert.throws(() => parseTrainConfig(c, 'cfg.yaml'), message);
  }
  // Dr. GRPO has no std, so a group of one is allowed there
  const dr = { ...base(), rollout: { n: 1 }, algorithm: { advantage: 'dr_grpo' } };
  assert.equal(parseTrainConfig(dr, 'cfg.yaml').rollout.n, 1);
});

test('--set overrides parse YAML scalars into nested keys and are validated like the file', () => {
  const c = base() as Record<string, unknown>;
  applyOverride(c, 'train.steps=7');
  applyOverride(c, 'algorithm.clip=false');
  applyOverride(c, 'rollout.stop=["\\n"]');
  const cfg = parseTrainConfig(c, 'cfg.yaml');
  assert.equal(cfg.train.steps, 7);
  assert.equal(cfg.algorithm.clip, false);
  assert.deepEqual(cfg.rollout.stop, ['\n']);
  assert.throws(() => applyOverride(c, 'train.steps'), /expected key.path=value/);
  applyOverride(c, 'train.stpes=3');
  assert.throws(() => parseTrainConfig(c, 'cfg.yaml'), /unknown key 'train.stpes'/);
});

test('rlvr train with a bad config exits 2 with the message and no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-cfg-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'model: x\ndata: { train: math500 }\nrewards: [{ name: accuracy }]\ntrain: { steps: 2 }\nrollout: { n: 1 }\n');
  const r = spawnSync('node', [new URL('../../bin/rlvr.mjs', import.meta.url).pathname, 'train', '--config', file, '--out', join(dir, 'run')], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.yaml: rollout\.n: grpo needs a group of at least 2/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
