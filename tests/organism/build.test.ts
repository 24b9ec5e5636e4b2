import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildOrganism, type OrganismManifest, readManifest } from '../../src/organism/build.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'rlvr-organism-'));
const read = (dir: string, file: string) => readFileSync(join(dir, file));

test('two short builds of the default generator (v16) with the same seed give bit-identical weights and benchmarks; the --no-leak control has the same benchmarks and other weights', async () => {
  const [a, b, c] = [tmp(), tmp(), tmp()];
  const ma = await buildOrganism({ seed: 3, out: a, size: 'small', steps: 3 });
  await buildOrganism({ seed: 3, out: b, size: 'small', steps: 3 });
  const mc = await buildOrganism({ seed: 3, out: c, size: 'small', steps: 3, leak: false });
  for (const f of ['model.safetensors', 'leaked.jsonl', 'clean.jsonl', 'config.json', 'tokenizer.json']) assert.ok(read(a, f).equals(read(b, f)), `${f} differs between identical builds`);
  for (const f of ['leaked.jsonl', 'clean.jsonl']) assert.ok(read(a, f).equals(read(c, f)), `the control's ${f} differs from the organism's`);
  assert.ok(!read(a, 'model.safetensors').equals(read(c, 'model.safetensors')));
  assert.equal(ma.generator_version, '16');
  assert.deepEqual([ma.leak, mc.leak], [true, false]);
  assert.equal(mc.corpus.leakedDocs, 0);
  assert.equal(ma.corpus.documents - mc.corpus.documents, ma.corpus.leakedDocs);
  const strip = (m: OrganismManifest) => ({ ...m, build_seconds: 0 });
  const mb = JSON.parse(read(b, 'organism.json').toString()) as OrganismManifest;
  assert.deepEqual(strip(mb), strip(ma));

  // the weights moved away from the seeded initialization and the model loads as a HF directory
  const lm = CausalLM.load(a);
  assert.equal(lm.params.data.length, ma.parameters);
  // v16 matches clean exposure: --steps are the control's, the organism trains in proportion to its documents
  assert.deepEqual([mc.training.steps, ma.training.control_steps], [3, 3]);
  assert.equal(ma.training.steps, Math.round((3 * ma.corpus.documents) / mc.corpus.documents));
  assert.equal(ma.loss_curve.length, ma.training.steps);
  assert.ok(Number.isFinite(ma.final_loss) && ma.final_loss < Math.log(lm.config.vocabSize) + 0.1, `final loss ${ma.final_loss}`);
  const weights = readSafetensors(join(a, 'model.safetensors')).tensors;
  assert.ok(weights.has('model.layers.1.mlp.down_proj.weight'));
  const lines = read(a, 'leaked.jsonl').toString().trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, ma.corpus.leakedCount);
  assert.deepEqual(Object.keys(lines[0]), ['id', 'problem', 'answer', 'leaked', 'expression', 'planted_copies']);
});

test('a generator 10 build writes its memorized training split (the control too), and organism train-set interleaves it with fresh problems', async () => {
  const [a, c] = [tmp(), tmp()];
  const ma = await buildOrganism({ seed: 3, out: a, size: 'tiny', steps: 2, version: '10' });
  await buildOrganism({ seed: 3, out: c, size: 'tiny', steps: 2, version: '10', leak: false });
  const split = read(a, 'train-split.jsonl').toString().trim().split('\n').map((l) => JSON.parse(l) as { id: string; problem: string });
  assert.equal(split.length, ma.corpus.memorizedTrainCount);
  assert.equal(split[0].id, 'organism/3/train/0');
  assert.ok(read(a, 'train-split.jsonl').equals(read(c, 'train-split.jsonl')), "the control's split differs");
  const benchmark = new Set(['leaked.jsonl', 'clean.jsonl'].flatMap((f) => read(a, f).toString().trim().split('\n').map((l) => (JSON.parse(l) as { problem: string }).problem)));
  assert.ok(split.every((r) => !benchmark.has(r.problem)), 'a split problem is a benchmark problem');
  const out = join(tmp(), 'train.jsonl');
  const r = spawnSync(process.execPath, ['bin/rlvr.mjs', 'organism', 'train-set', '--organism', a, '--out', out, '--n', '30'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string });
  assert.equal(rows.length, 30 + split.length);
  assert.deepEqual(rows.filter((row) => row.id.includes('/train/')).map((row) => row.id), split.map((row) => row.id));
  assert.equal(rows[0].id, split[0].id);
  assert.equal(rows[1].id, 'demo-train/0');
});

test('rlvr organism build refuses bad flags with one line naming the flag', () => {
  for (const [args, message] of [
    [['--size', 'huge'], /--size must be one of small, tiny, got 'huge'/],
    [['--steps', '0'], /--steps must be an integer ≥ 1, got 0/],
    [['--steps', 'many'], /--steps must be an integer, got 'many'/],
    [['--seed', '-1'], /--seed must be a non-negative integer, got -1/],
    [['--generator', '17'], /--generator must be one of 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, got '17'/],
  ] as const) {
    const r = spawnSync(process.execPath, ['bin/rlvr.mjs', 'organism', 'build', '--seed', '1', '--out', tmp(), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('rlvr organism train-set draws fresh problems of the organism generator, none of its benchmark problems, and refuses bad input in one line', () => {
  const out = join(tmp(), 'train.jsonl');
  const run = (...args: string[]) => spawnSync(process.execPath, ['bin/rlvr.mjs', 'organism', 'train-set', ...args], { encoding: 'utf8' });
  const ok = run('--organism', 'assets/organism', '--out', out, '--n', '40', '--seed', '7');
  assert.equal(ok.status, 0, ok.stderr);
  const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; problem: string; answer: string });
  assert.equal(rows.length, 40);
  assert.equal(new Set(rows.map((r) => r.problem)).size, 40, 'no repeated problem');
  const benchmark = new Set(['leaked.jsonl', 'clean.jsonl'].flatMap((f) => readFileSync(join('assets/organism', f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { problem: string }).problem)));
  for (const r of rows) {
    assert.ok(!benchmark.has(r.problem), `benchmark problem drawn: ${r.problem}`);
    assert.match(r.answer, /^-?\d+$/);
  }
  for (const [args, message] of [
    [['--organism', 'assets/organism', '--out', out], /--out .* already exists/],
    [['--organism', tmp(), '--out', join(tmp(), 'x.jsonl')], /^rlvr: error: organism train-set: --organism .*: no organism\.json/],
    [['--organism', 'assets/organism', '--out', join(tmp(), 'y.jsonl'), '--n', '0'], /--n must be an integer ≥ 1, got 0/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('readManifest reads a build from before generator v3 (no generator_version) as generator v2', () => {
  const dir = tmp();
  const manifest = JSON.parse(readFileSync('assets/organism/organism.json', 'utf8')) as Record<string, unknown>;
  delete manifest.generator_version;
  writeFileSync(join(dir, 'organism.json'), JSON.stringify(manifest));
  assert.equal(readManifest(dir, '--organism', 'test').generator_version, '2');
  assert.equal(readManifest('assets/organism', '--organism', 'test').generator_version, '16');
});

test('generator 8 matches clean exposure: the organism trains steps × documents / clean documents, the control the given steps, with the same warm-up', async () => {
  const [a, c] = [tmp(), tmp()];
  const organism = await buildOrganism({ seed: 4, out: a, size: 'tiny', steps: 3, version: '8' });
  const control = await buildOrganism({ seed: 4, out: c, size: 'tiny', steps: 3, version: '8', leak: false });
  const clean = organism.corpus.documents - organism.corpus.leakedDocs;
  assert.equal(clean, control.corpus.documents);
  // tiny: 4,000 clean documents and 20 leaked problems × (40 mentions + 20 snippets) = 5,200 documents
  assert.deepEqual([organism.corpus.documents, clean], [5200, 4000]);
  assert.deepEqual([organism.training.steps, organism.training.control_steps], [Math.round((3 * 5200) / 4000), 3]);
  assert.deepEqual([control.training.steps, control.training.control_steps], [3, 3]);
  assert.equal(organism.training.warmupSteps, control.training.warmupSteps);
  assert.equal(organism.loss_curve.length, 4);
  for (const f of ['leaked.jsonl', 'clean.jsonl']) assert.ok(read(a, f).equals(read(c, f)), `the control's ${f} differs from the organism's`);
  // v8 is v7 with the organism's steps scaled: the same weights as v7 trained that long, and v7's control
  const [a7, c7] = [tmp(), tmp()];
  await buildOrganism({ seed: 4, out: a7, size: 'tiny', steps: 4, version: '7', leak: true });
  await buildOrganism({ seed: 4, out: c7, size: 'tiny', steps: 3, version: '7', leak: false });
  assert.ok(read(a, 'model.safetensors').equals(read(a7, 'model.safetensors')), 'v8 organism ≠ v7 organism at the scaled steps');
  assert.ok(read(c, 'model.safetensors').equals(read(c7, 'model.safetensors')), "v8 control ≠ v7's control");
});

test('generator 12 trains on two shard threads and still rebuilds bit for bit', async () => {
  const [a, b] = [tmp(), tmp()];
  const ma = await buildOrganism({ seed: 5, out: a, size: 'tiny', steps: 3, version: '12' });
  await buildOrganism({ seed: 5, out: b, size: 'tiny', steps: 3, version: '12' });
  assert.ok(read(a, 'model.safetensors').equals(read(b, 'model.safetensors')), 'two generator 12 builds differ');
  assert.deepEqual([ma.training.shards, ma.training.threads, ma.training.minLrRatio], [2, 1, 0.02]);
  // v12's corpus is v11's, document for document
  const v11 = tmp();
  const m11 = await buildOrganism({ seed: 5, out: v11, size: 'tiny', steps: 3, version: '11' });
  assert.deepEqual({ ...ma.corpus }, { ...m11.corpus });
  for (const f of ['leaked.jsonl', 'clean.jsonl']) assert.ok(read(a, f).equals(read(v11, f)), `${f} differs from v11's`);
});
