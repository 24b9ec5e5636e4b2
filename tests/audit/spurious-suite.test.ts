/**
 * The suite end to end on a tiny randomly initialized model (2 GRPO steps per variant): layout,
 * same seed and budget across variants, summary fields, skip of finished variants and resume of
 * an interrupted one; bad input through the CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { runSpuriousAudit } from '../../src/audit/spurious-replicate.ts';
import { runSpuriousSuite, spuriousChartData, type SpuriousSummary } from '../../src/audit/spurious.ts';
import { DEFAULT_VARIANTS } from '../../src/audit/spurious-variants.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { parseTrainConfig } from '../../src/rl/config.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rlvr-spurious-'));
const model = join(work, 'model');
writeCharModelDir(model, { seed: 5, config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1 } });

const raw = {
  kind: 'grpo',
  model,
  seed: 3,
  data: { train: { generator: 'arithmetic', n: 40, seed: 1 }, extractors: 'gsm8k' },
  rewards: [{ name: 'accuracy', config: { extractors: 'gsm8k' } }],
  rollout: { n: 4, max_new_tokens: 6 },
  train: { steps: 2, batch_size: 2, micro_batch_size: 8 },
  optim: { lr: 0.01 },
};
const configPath = join(work, 'grpo.yaml');
writeFileSync(configPath, YAML.stringify(raw));
const out = join(work, 'suite');
const suite = () =>
  runSpuriousSuite({ config: parseTrainConfig(raw, configPath), configPath, variants: DEFAULT_VARIANTS, out, limit: 6, quiet: true, inProcessVerify: true });

const readYaml = (path: string) => YAML.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const metricSteps = (variant: string) =>
  readFileSync(join(out, 'runs', variant, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);

let first: SpuriousSummary;

test('one run per variant with the same seed, data and budget; only the rewards differ', async () => {
  first = await suite();
  assert.deepEqual(readdirSync(join(out, 'runs')).sort(), [...DEFAULT_VARIANTS].sort());
  const configs = DEFAULT_VARIANTS.map((v) => readYaml(join(out, 'runs', v, 'config.yaml')));
  const rewards = configs.map((c) => (c.rewards as Array<{ name: string; config: Record<string, unknown> }>).map((r) => r.name));
  assert.deepEqual(rewards, [['accuracy'], ['random'], ['incorrect_label'], ['boxed_format']]);
  assert.deepEqual((configs[1].rewards as Array<{ config: unknown }>)[0].config, { gamma: 0.5, seed: 3 });
  const withoutRewards = configs.map(({ rewards: _, ...rest }) => rest);
  for (const c of withoutRewards) assert.deepEqual(c, withoutRewards[0]);
  assert.equal(withoutRewards[0].seed, 3);
  assert.deepEqual((withoutRewards[0].train as Record<string, unknown>).steps, 2);
  for (const v of DEFAULT_VARIANTS) {
    assert.deepEqual(metricSteps(v), [1, 2]);
    assert.deepEqual(readdirSync(join(out, 'runs', v, 'checkpoints')), ['step-2']);
    const reward = (JSON.parse(readFileSync(join(out, 'runs', v, 'metrics.jsonl'), 'utf8').split('\n')[0]) as Record<string, unknown>)[`reward/${rewards[DEFAULT_VARIANTS.indexOf(v)][0]}`];
    assert.equal(typeof reward, 'number', `${v}: no reward component in metrics`);
  }
});

test('the starting model and every checkpoint are evaluated on both benchmarks', () => {
  assert.ok(existsSync(join(out, 'data', 'suspect.jsonl')) && existsSync(join(out, 'data', 'clean.jsonl')));
  const suspect = readFileSync(join(out, 'data', 'suspect.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { problem: string });
  const clean = readFileSync(join(out, 'data', 'clean.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { problem: string; created_at: string });
  assert.equal(suspect.length, 6);
  assert.equal(clean.length, 6);
  assert.ok(!Number.isNaN(Date.parse(clean[0].created_at)));
  for (const label of ['initial', ...DEFAULT_VARIANTS.map((v) => join(v, 'step-2'))]) {
    for (const role of ['suspect', 'clean']) assert.ok(existsSync(join(out, 'eval', label, role, 'results.json')), `${label}/${role}`);
  }
});

test('summary.json has the documented fields', () => {
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as SpuriousSummary;
  assert.deepEqual(s, JSON.parse(JSON.stringify(first)));
  assert.equal(s.schema, 'rlvr-spurious/1');
  assert.deepEqual(Object.keys(s).sort(), ['benchmarks', 'config', 'curves', 'evaluation', 'initial', 'initial_modes', 'schema', 'template_baseline', 'variants', 'verdict']);
  // template baseline: every template (plain and, the char model having a chat template, as a chat); the suite's own row is step 0
  const rows = s.template_baseline!.rows;
  assert.deepEqual(rows.map((r) => `${r.template}${r.chat ? '+chat' : ''}`), ['qwen-boxed', 'qwen-boxed+chat', 'r1-zero', 'chat+chat', 'none']);
  const own = rows.find((r) => r.suite)!;
  assert.equal(own.template, 'none');
  assert.deepEqual([own.suspect, own.clean], [s.initial.suspect, s.initial.clean]);
  for (const role of ['suspect', 'clean'] as const) assert.equal(s.template_baseline!.best[role].accuracy, Math.max(...rows.map((r) => r[role].value)));
  for (const label of ['qwen-boxed', 'qwen-boxed-chat', 'r1-zero', 'chat-chat']) assert.ok(existsSync(join(out, 'eval', 'templates', label, 'suspect', 'results.json')), label);
  // solution modes: shares in [0, 1], accuracy within a mode only when it occurs
  const results = JSON.parse(readFileSync(join(out, 'eval', 'initial', 'suspect', 'results.json'), 'utf8')) as { metrics: { by_mode: Record<string, { share: { value: number } }> } };
  assert.equal(s.initial_modes.suspect.code_share, results.metrics.by_mode.code.share.value);
  assert.equal(s.benchmarks.suspect.items, 6);
  assert.equal(s.benchmarks.clean.origin, 'arithmetic generator');
  assert.deepEqual(s.variants.map((v) => v.variant), [...DEFAULT_VARIANTS]);
  for (const v of s.variants) {
    assert.equal(v.final_step, 2);
    assert.equal(v.action, 'trained');
    assert.deepEqual(v.training.map((p) => p.step), [1, 2]);
    for (const role of ['suspect', 'clean'] as const) {
      const b = v[role];
      for (const e of [b.before, b.after, b.gain]) assert.ok(Number.isFinite(e.value) && e.ci[0] <= e.value && e.value <= e.ci[1]);
      assert.equal(b.gain.value, b.after.value - b.before.value);
      assert.deepEqual(b.before, s.initial[role]);
      assert.ok(['up', 'down', 'flat'].includes(b.trend));
      for (const m of [b.modes.before, b.modes.after]) {
        assert.ok(m.code_share >= 0 && m.code_share <= 1);
        if (m.code_share === 0) assert.equal(m.accuracy.code, null);
        if (m.code_share === 1) assert.equal(m.accuracy.prose, null);
      }
    }
  }
  assert.equal(s.curves.length, 2 * DEFAULT_VARIANTS.length);
  for (const c of s.curves) assert.deepEqual(c.points.map((p) => p.step), [0, 2]);
  for (const c of s.curves) assert.deepEqual(c.points[0].modes, s.initial_modes[c.benchmark]);
  assert.ok(['every_reward_gains', 'memorization_unlocked', 'spurious_gains_clean', 'signal_matters', 'inconclusive'].includes(s.verdict.rule));
  const charts = spuriousChartData(s);
  assert.equal(charts.accuracy.length, 8);
  assert.equal(charts.gains.length, 8);
  assert.equal(charts.modes.length, 8);
  assert.deepEqual(charts.training.map((t) => t.variant), [...DEFAULT_VARIANTS]);
});

test('a rerun skips finished variants; an interrupted one resumes to the same weights', async () => {
  const ckpt = (v: string) => join(out, 'runs', v, 'checkpoints', 'step-2');
  const weights = readFileSync(join(ckpt('random'), 'model.safetensors'));
  const mtime = statSync(ckpt('format')).mtimeMs;
  // interrupted after step 1: its final checkpoint never written, step 2 logged
  rmSync(ckpt('random'), { recursive: true });
  const again = await suite();
  assert.deepEqual(again.variants.map((v) => v.action), ['skipped', 'resumed', 'skipped', 'skipped']);
  assert.equal(statSync(ckpt('format')).mtimeMs, mtime);
  assert.ok(readFileSync(join(ckpt('random'), 'model.safetensors')).equals(weights), 'resumed run ended with other weights');
  assert.deepEqual(metricSteps('random'), [1, 2]);
  assert.deepEqual(again.variants.map((v) => v.suspect.gain), first.variants.map((v) => v.suspect.gain));
});

function cli(args: string[]) {
  return spawnSync('node', [rlvr, 'audit', 'spurious', ...args], { encoding: 'utf8' });
}

test('bad input: an unknown variant, an SFT config, a changed config in the same --out → exit 2, one line', () => {
  const unknown = cli(['--config', configPath, '--rewards', 'ground_truth,lucky', '--out', join(work, 'x')]);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr, "rlvr: error: --rewards: unknown variant 'lucky'; known: ground_truth, random, incorrect_label, format, contains, inverted\n");
  const sftPath = join(work, 'sft.yaml');
  writeFileSync(sftPath, YAML.stringify({ ...raw, kind: 'sft' }));
  const sft = cli(['--config', sftPath, '--out', join(work, 'y')]);
  assert.equal(sft.status, 2);
  assert.equal(sft.stderr, `rlvr: error: ${sftPath}: kind is 'sft'; the spurious-reward suite trains GRPO configs (kind: grpo)\n`);
  const changed = cli(['--config', configPath, '--out', out, '--set', 'optim.lr=0.02', '--rewards', 'random']);
  assert.equal(changed.status, 2);
  assert.match(changed.stderr, /^rlvr: error: .*runs\/random holds a run of a different config .*; use another --out\n$/);
});

test('--seeds and --control: one suite per (model, seed) in its own directory, aggregated in replication.json', async () => {
  const rep = join(work, 'replicate');
  const { runs, replication } = await runSpuriousAudit({
    config: parseTrainConfig(raw, configPath), configPath, variants: ['random'], out: rep, limit: 6, quiet: true, inProcessVerify: true,
    seeds: [3, 4], control: join(work, 'model'), templateBaseline: false,
  });
  assert.deepEqual(runs.map((r) => `${r.subject}/${r.seed}`), ['organism/3', 'organism/4', 'control/3', 'control/4']);
  assert.deepEqual(runs.map((r) => r.out), [join(rep, 'seed-3'), join(rep, 'seed-4'), join(rep, 'control', 'seed-3'), join(rep, 'control', 'seed-4')]);
  // the seed reaches the config and the random reward
  const cfg = readYaml(join(rep, 'seed-4', 'runs', 'random', 'config.yaml'));
  assert.equal(cfg.seed, 4);
  assert.deepEqual((cfg.rewards as Array<{ config: unknown }>)[0].config, { gamma: 0.5, seed: 4 });
  assert.equal(readYaml(join(rep, 'control', 'seed-3', 'runs', 'random', 'config.yaml')).model, join(work, 'model'));
  assert.ok(!('template_baseline' in runs[0].summary));
  const stored = JSON.parse(readFileSync(join(rep, 'replication.json'), 'utf8')) as typeof replication;
  assert.deepEqual(stored, JSON.parse(JSON.stringify(replication)));
  assert.deepEqual(replication!.subjects.map((x) => x.subject), ['organism', 'control']);
  const random = replication!.subjects[0].variants[0];
  assert.deepEqual(random.suspect.seeds.map((g) => [g.seed, g.value]), runs.slice(0, 2).map((r) => [r.seed, r.summary.variants[0].suspect.gain.value]));
  assert.equal(Object.values(replication!.subjects[1].verdict_share).reduce((a, b) => a + b, 0), 1);
});
