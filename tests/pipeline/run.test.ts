/**
 * The shipped r1-zero recipe end to end with a tiny model and tiny budgets; a rerun skips finished
 * stages; a changed stage is refused; a run killed mid-stage resumes and ends with the same final
 * files as an uninterrupted run (weights, optimizer state, logs and evaluation outputs).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeCharModelDir } from '../../src/model/init.ts';
import { planRecipe, readRecipe } from '../../src/pipeline/plan.ts';
import { runPipeline } from '../../src/pipeline/run.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rlvr-pipeline-'));
const model = join(work, 'base');
writeCharModelDir(model, { seed: 2, config: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, max_position_embeddings: 1024 } });

const recipe = 'examples/recipes/r1-zero.yaml';
const overrides = [
  `vars.base_model=${model}`,
  'stages.rl.config.train.steps=4',
  'stages.rl.config.train.batch_size=2',
  'stages.rl.config.rollout.n=2',
  'stages.rl.config.rollout.max_new_tokens=6',
  'stages.rl.config.validation.every=0',
  'stages.rl.config.checkpoint.every=1',
  'stages.rl.config.optim.lr=0.01',
  'stages.eval.limit=3',
  'stages.eval.n=2',
  'stages.eval.max_new_tokens=6',
  'stages.eval.concurrency=1',
];

async function run(out: string, resume = false, extra: string[] = []) {
  const plan = planRecipe(readRecipe(recipe, [...overrides, ...extra]), recipe, out);
  return runPipeline(plan, out, { resume, quiet: true, log: () => {} });
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const withoutTiming = (path: string) => {
  const r = JSON.parse(readFileSync(path, 'utf8'));
  // the timing, and the model's path (inside each run directory), differ by construction
  delete r.timing;
  delete r.config.model;
  delete r.config.backend;
  return r;
};
const metricsWithoutTimes = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => Object.fromEntries(Object.entries(JSON.parse(l)).filter(([k]) => !k.startsWith('time_') && k !== 'tokens_per_s')));

/** The final outputs a user keeps. */
function finalFiles(out: string) {
  const step = join(out, 'rl', 'checkpoints', 'step-4');
  return {
    weights: sha(join(step, 'model.safetensors')),
    optimizer: sha(join(step, 'optimizer.safetensors')),
    samples: sha(join(out, 'rl', 'samples.jsonl')),
    eval_samples: sha(join(out, 'eval', 'samples.jsonl')),
    metrics: metricsWithoutTimes(join(out, 'rl', 'metrics.jsonl')),
    results: withoutTiming(join(out, 'eval', 'results.json')),
  };
}

const straight = join(work, 'straight');

test('r1-zero end to end: training metrics carry the dynamics, the eval has them too; a rerun skips; a change is refused', async () => {
  const report = await run(straight);
  assert.deepEqual(report.stages.map((s) => [s.name, s.status]), [['rl', 'ran'], ['eval', 'ran']]);
  const metrics = readFileSync(join(straight, 'rl', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3, 4]);
  for (const key of ['response_length_p50', 'response_length_p90', 'reflective_rate', 'reflective/wait', 'reflective/让我检查', 'language_mixing_rate', 'truncated_share']) assert.ok(key in metrics[0], key);
  const results = JSON.parse(readFileSync(join(straight, 'eval', 'results.json'), 'utf8'));
  assert.equal(results.counts.samples, 6);
  assert.equal(results.dynamics.responses, 6);
  assert.equal(results.config.template, 'r1-zero');
  const pipeline = JSON.parse(readFileSync(join(straight, 'pipeline.json'), 'utf8'));
  assert.ok(pipeline.stages.every((s: { wall_s: number }) => s.wall_s > 0));
  const html = readFileSync(join(straight, 'report.html'), 'utf8');
  for (const title of ['Response length', 'Reflection, language mixing, truncation', 'rl (grpo)', 'eval (eval)']) assert.ok(html.includes(title), title);

  const again = await run(straight, true);
  assert.deepEqual(again.stages.map((s) => s.status), ['skipped', 'skipped']);
  await assert.rejects(run(straight, false), /already holds a pipeline run; pass --resume/);
  await assert.rejects(run(straight, true, ['stages.rl.config.optim.lr=0.02']), /stage 'rl' finished in .* with different settings/);
});

test('a pipeline killed mid-stage resumes and ends with the same files as an uninterrupted run', async () => {
  const killed = join(work, 'killed');
  const child = spawn(process.execPath, [rlvr, 'pipeline', '--config', recipe, '--out', killed, ...overrides.flatMap((o) => ['--set', o])], { stdio: 'ignore', env: { ...process.env, RLVR_THREADS: '1' } });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // kill it once the second GRPO checkpoint exists: mid-stage, with steps 3-4 and the eval left
  const deadline = Date.now() + 120_000;
  while (!existsSync(join(killed, 'rl', 'checkpoints', 'step-2', 'trainer_state.json'))) {
    assert.ok(Date.now() < deadline, 'the pipeline never reached step 2');
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await exited;
  assert.ok(!existsSync(join(killed, 'rl', 'stage.json')), 'killed before the stage finished');
  const report = await run(killed, true);
  assert.deepEqual(report.stages.map((s) => s.status), ['resumed', 'ran']);
  assert.deepEqual(finalFiles(killed), finalFiles(straight));
});

test('audit-*, merge-data and int8 eval stages run: an audit of the trained run, a shuffled, deduplicated merge, an evaluation with int8 weights', async () => {
  const { writeFileSync } = await import('node:fs');
  const a = join(work, 'a.jsonl');
  const b = join(work, 'b.jsonl');
  writeFileSync(a, ['{"prompt":"p1","completion":"c1"}', '{"prompt":"p2","completion":"c2"}', ''].join('\n'));
  writeFileSync(b, ['{"prompt":"p2","completion":"c2"}', '{"prompt":"p3","completion":"c3"}', ''].join('\n'));
  const out = join(work, 'misc');
  const plan = planRecipe(
    {
      stages: [
        { name: 'merge', kind: 'merge-data', inputs: [a, b], dedup: true, shuffle_seed: 1 },
        { name: 'ppl', kind: 'audit-perplexity', args: { run: join(straight, 'rl'), dataset: 'assets/organism/clean.jsonl', limit: 3 } },
        { name: 'ev', kind: 'eval', model: 'assets/organism', weights: 'int8', dataset: 'assets/organism/clean.jsonl', template: 'none', limit: 2, max_new_tokens: 8 },
      ],
    },
    'misc.yaml',
    out,
  );
  const report = await runPipeline(plan, out, { resume: false, quiet: true, log: () => {} });
  assert.deepEqual(report.stages.map((s) => s.status), ['ran', 'ran', 'ran']);
  const merged = readFileSync(join(out, 'merge', 'data.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).prompt);
  assert.deepEqual([...merged].sort(), ['p1', 'p2', 'p3']);
  assert.ok(existsSync(join(out, 'ppl', 'out', 'perplexity.json')));
  const results = JSON.parse(readFileSync(join(out, 'ev', 'results.json'), 'utf8')) as { config: { weights?: string }; counts: { items: number } };
  assert.equal(results.config.weights, 'int8');
  assert.equal(results.counts.items, 2);
});
