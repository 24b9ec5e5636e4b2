/** Whole-recipe validation: every problem reported before anything runs, naming the stage and key. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeCharModelDir } from '../../src/model/init.ts';
import { planRecipe, readRecipe } from '../../src/pipeline/plan.ts';
import { findRefs, substitute } from '../../src/pipeline/refs.ts';
import { UserError } from '../../src/util/errors.ts';

const work = mkdtempSync(join(tmpdir(), 'rlvr-recipe-'));
const model = join(work, 'model');
writeCharModelDir(model, { seed: 1, config: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1 } });
const grpo = (modelRef: string) => ({ model: modelRef, data: { train: { generator: 'arithmetic', n: 10 } }, rewards: [{ name: 'accuracy' }], train: { steps: 3 } });

const problems = (raw: Record<string, unknown>): string[] => {
  try {
    planRecipe(raw, 'r.yaml', join(work, 'out'));
  } catch (err) {
    assert.ok(err instanceof UserError, String(err));
    return err.message.split('\n');
  }
  return [];
};

test('references: parsing, whole-value and interpolated substitution, malformed ones', () => {
  const seen: string[] = [];
  const refs = findRefs({ a: '${stages.x.final}', b: ['p/${vars.v}/q'], c: '${oops}', d: '${stages.y.dir' }, (k, m) => seen.push(`${k}: ${m}`));
  assert.deepEqual(refs.map((r) => [r.key, r.ref.text]), [['a', '${stages.x.final}'], ['b.0', '${vars.v}']]);
  assert.deepEqual(seen, ["c: unknown reference '${oops}' (use ${stages.NAME.OUTPUT} or ${vars.NAME})", "d: unterminated reference in '${stages.y.dir'"]);
  const out = substitute({ a: '${vars.n}', b: 'x-${vars.n}-y', c: '${stages.s.final}' }, (r) => (r.kind === 'var' ? 5 : '/run/s/final'));
  assert.deepEqual(out, { a: 5, b: 'x-5-y', c: '/run/s/final' });
});

test('a valid recipe plans stages in dependency order with their output paths', () => {
  const plan = planRecipe(
    {
      vars: { base: model },
      stages: [
        { name: 'eval', kind: 'eval', model: '${stages.rl.final}', dataset: 'x.jsonl' },
        { name: 'rl', kind: 'grpo', config: grpo('${vars.base}') },
      ],
    },
    'r.yaml',
    '/runs/x',
  );
  assert.deepEqual(plan.stages.map((s) => s.name), ['rl', 'eval']);
  assert.equal(plan.stages[0].outputs.final, '/runs/x/rl/checkpoints/step-3');
  assert.equal((plan.stages[1].settings as { eval: { model: string } }).eval.model, '/runs/x/rl/checkpoints/step-3');
  assert.deepEqual(plan.stages[1].deps, ['rl']);
});

test('unknown kinds, duplicate names, dangling references, unknown outputs and variables are all reported', () => {
  const got = problems({
    vars: { base: model },
    stages: [
      { name: 'rl', kind: 'grpo', config: grpo('${vars.base}') },
      { name: 'rl', kind: 'sft', config: {} },
      { name: 'c', kind: 'evaluate' },
      { name: 'd', kind: 'eval', model: '${stages.nope.final}', dataset: '${vars.missing}' },
      { name: 'e', kind: 'eval', model: '${stages.rl.data}', dataset: 'x' },
      { name: 'f', kind: 'merge-data', inputs: ['${stages.f.data}'] },
    ],
  });
  assert.deepEqual(got, [
    "r.yaml: stage 'rl' key name: duplicate stage name (also stage #1)",
    "r.yaml: stage 'c' key kind: unknown stage kind \"evaluate\"; known: sft, grpo, rejection-sample, eval, merge-data, audit-contamination, audit-perplexity, audit-spurious",
    "r.yaml: stage 'd' key model: ${stages.nope.final} refers to no stage 'nope'; stages: rl, c, d, e, f",
    "r.yaml: stage 'd' key dataset: ${vars.missing} refers to no variable 'missing'; vars: base",
    "r.yaml: stage 'e' key model: ${stages.rl.data}: stage 'rl' (grpo) has no output 'data'; outputs: final, dir, metrics",
    "r.yaml: stage 'f' key inputs.0: ${stages.f.data} refers to the stage itself",
  ]);
});

test('a cycle is named with the keys that form it', () => {
  const got = problems({
    stages: [
      { name: 'a', kind: 'grpo', config: grpo('${stages.b.final}') },
      { name: 'b', kind: 'sft', config: { ...grpo('${stages.c.dir}'), rewards: undefined } },
      { name: 'c', kind: 'eval', model: model, dataset: 'x', after: ['a'] },
    ],
  });
  assert.deepEqual(got, ["r.yaml: stages form a cycle 'a' → 'b' → 'c' → 'a': 'a' key config.model uses ${stages.b.final}; 'b' key config.model uses ${stages.c.dir}; 'c' runs after 'a'"]);
});

test('stage settings are validated with their keys: train configs, filters, audit flags, missing models', () => {
  const got = problems({
    stages: [
      { name: 'rl', kind: 'grpo', config: { ...grpo(join(work, 'no-model')), train: { steps: 0, stepz: 1 } } },
      { name: 'rs', kind: 'rejection-sample', model, dataset: 'x', filter: { langauge: 'en' } },
      { name: 'rs2', kind: 'rejection-sample', model, base_url: 'http://127.0.0.1:1/v1', dataset: 'x' },
      { name: 'audit', kind: 'audit-contamination', args: { modle: model, out: 'x' } },
      { name: 'ev', kind: 'eval', model: join(work, 'no-model'), dataset: 'x', temperature: -1 },
      { name: 'ev2', kind: 'eval', base_url: 'http://127.0.0.1:1/v1', model_name: 'm', dataset: 'x', weights: 'int8' },
      { name: 'ev3', kind: 'eval', model, dataset: 'x', weights: 'bf16' },
      { name: 'sft', kind: 'sft', config: grpo(join(work, 'no-model')), extra: 1 },
    ],
  });
  assert.deepEqual(got, [
    "r.yaml: stage 'rl' key config.train.steps: Too small: expected number to be >0",
    "r.yaml: stage 'rl' key config.train.stepz: unknown key",
    "r.yaml: stage 'rs' key filter.langauge: unknown key",
    "r.yaml: stage 'rs2' key model / base_url: give exactly one (a model directory, or a server URL with model_name)",
    "r.yaml: stage 'rs2' key model_name: required with base_url (the name the server serves; see its /v1/models)",
    "r.yaml: stage 'audit' key args.modle: 'rlvr audit contamination' has no option --modle; options: --dataset, --model, --weights, --base-url, --model-name, --api-key, --ratios, --limit, --token-level, --margin, --answer-tokens, --seed, --threads",
    "r.yaml: stage 'audit' key args.out: the pipeline sets the output directory (the stage's dir)",
    "r.yaml: stage 'ev' key temperature: Too small: expected number to be >=0",
    "r.yaml: stage 'ev2' key weights: applies to an embedded model (model); a server decides its own weights",
    'r.yaml: stage \'ev3\' key weights: Invalid option: expected one of "fp32"|"int8"',
    "r.yaml: stage 'sft' key extra: unknown key (a sft stage has 'config', an rlvr train config)",
  ]);
  const missing = problems({ stages: [{ name: 'rl', kind: 'grpo', config: grpo(join(work, 'no-model')) }] });
  assert.deepEqual(missing, [`r.yaml: stage 'rl' key config.model: ${join(work, 'no-model')} is not a model directory (no config.json)`]);
});

test('the shipped recipes validate, and --set reaches stages by name', () => {
  for (const name of ['r1-zero', 'r1', 'distill']) {
    const raw = readRecipe(`examples/recipes/${name}.yaml`, name === 'r1' ? ['stages.sft.config.train.steps=7', 'vars.base_model=' + model] : []);
    const plan = planRecipe(raw, name, join(work, name));
    assert.ok(plan.stages.length >= 2);
    if (name === 'r1') {
      assert.deepEqual(plan.stages.map((s) => s.kind), ['sft', 'grpo', 'rejection-sample', 'merge-data', 'sft', 'grpo', 'eval']);
      assert.equal(plan.stages[4].outputs.final, join(work, 'r1', 'sft', 'checkpoints', 'step-7'));
    }
  }
  assert.throws(() => readRecipe('examples/recipes/r1.yaml', ['stages.nope.k=1']), /no stage named 'nope'/);
});
