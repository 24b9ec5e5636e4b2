/**
 * Distillation with the shipped distill recipe: a teacher (a small character model trained on
 * one-step arithmetic, tests/fixtures/distill) behind `startModelServer`, rejection sampling
 * through the OpenAI-compatible backend, SFT of a randomly initialized student on the teacher's
 * verified samples, evaluation of the student. The student's held-out greedy accuracy must
 * exceed its starting accuracy with a paired-bootstrap 95% CI above zero. A rerun of the
 * sampling stage, even with the teacher at another address, is answered from the response cache
 * without asking the teacher again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateArithmetic } from '../../src/data/arithmetic.ts';
import { bootstrapMeanCI } from '../../src/eval/bootstrap.ts';
import { runEvaluation } from '../../src/eval/run.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { planRecipe, readRecipe } from '../../src/pipeline/plan.ts';
import { runPipeline } from '../../src/pipeline/run.ts';
import { BatchedEmbeddedPolicy } from '../../src/server/batched-policy.ts';
import { startModelServer } from '../../src/server/model-server.ts';

const teacherDir = new URL('../fixtures/distill/teacher/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rlvr-distill-'));
const student = join(work, 'student');
writeCharModelDir(student, { seed: 9, config: { hidden_size: 48, intermediate_size: 128, num_hidden_layers: 2 } });
const heldOut = join(work, 'heldout.jsonl');
writeFileSync(heldOut, generateArithmetic({ n: 48, seed: 99, maxOperand: 3, prefix: 'heldout' }).map((it) => JSON.stringify({ id: it.id, problem: it.problem, answer: it.answer }) + '\n').join(''));

const evalSettings = { template: 'none', extraction: 'gsm8k', n: 1, temperature: 0, max_new_tokens: 16, concurrency: 48 };

/** Per-item greedy correctness, in dataset order. */
const correctness = (samplesPath: string): number[] =>
  readFileSync(samplesPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l).correct ? 1 : 0));

test('SFT on a served teacher’s verified samples raises the student’s held-out accuracy', async (t) => {
  const server = await startModelServer({ policy: new BatchedEmbeddedPolicy(CausalLM.load(teacherDir)), modelName: 'teacher', port: 0 });
  try {
    const start = await runEvaluation({
      policy: new BatchedEmbeddedPolicy(CausalLM.load(student), { maxBatch: 48 }),
      model: student,
      outDir: join(work, 'student-start'),
      concurrency: 48,
      config: { dataset: heldOut, template: 'none', extraction: 'gsm8k', n: 1, temperature: 0, topP: 1, maxNewTokens: 16, seed: 0 },
    });
    const overrides = [
      `vars.teacher_url=${server.url}`,
      'vars.teacher_name=teacher',
      `vars.student_model=${student}`,
      `vars.eval_data=${heldOut}`,
      'stages.teacher-samples.dataset={generator: arithmetic, n: 96, seed: 21, max_operand: 3}',
      'stages.teacher-samples.template=none',
      'stages.teacher-samples.extractors=gsm8k',
      'stages.teacher-samples.k=2',
      'stages.teacher-samples.max_new_tokens=16',
      'stages.student-sft.config.data.extractors=gsm8k',
      'stages.student-sft.config.train.steps=60',
      'stages.student-sft.config.train.batch_size=16',
      'stages.student-sft.config.optim.lr=0.01',
      'stages.student-sft.config.checkpoint.every=0',
      ...Object.entries(evalSettings).map(([k, v]) => `stages.eval.${k}=${v}`),
      'stages.eval.limit=48',
    ];
    const out = join(work, 'run');
    const recipe = 'examples/recipes/distill.yaml';
    const plan = () => planRecipe(readRecipe(recipe, overrides), recipe, out);
    // the teacher runs in this process: its compiled graphs must survive the stages
    const report = await runPipeline(plan(), out, { resume: false, quiet: true, log: () => {}, releaseSessions: false });
    assert.deepEqual(report.stages.map((s) => s.status), ['ran', 'ran', 'ran']);
    const rows = readFileSync(join(out, 'teacher-samples', 'data.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(rows.length >= 48, `only ${rows.length} verified teacher samples`);

    const before = correctness(join(work, 'student-start', 'samples.jsonl'));
    const after = correctness(join(out, 'eval', 'samples.jsonl'));
    const gains = after.map((a, i) => a - before[i]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [lo, hi] = bootstrapMeanCI(gains, { resamples: 2000, seed: 1 });
    t.diagnostic(`${report.stages[0].summary}; student held-out greedy accuracy ${mean(before).toFixed(3)} → ${mean(after).toFixed(3)} (gain 95% CI [${lo.toFixed(3)}, ${hi.toFixed(3)}]); ${rows.length} teacher samples kept; start pass@1 ${start.metrics['pass@1'].value}`);
    assert.ok(lo > 0, `gain CI [${lo}, ${hi}]`);

    // the sampling stage again: every response comes from the cache, the data is the same,
    const requests = server.requests['/v1/completions'];
    const data = readFileSync(join(out, 'teacher-samples', 'data.jsonl'), 'utf8');
    for (const f of ['stage.json', 'data.jsonl', 'data.jsonl.progress.jsonl']) rmSync(join(out, 'teacher-samples', f));
    // and from another address (a restarted teacher): nothing listens there, the cache answers
    overrides[0] = 'vars.teacher_url=http://127.0.0.1:9/v1';
    const again = await runPipeline(plan(), out, { resume: true, quiet: true, log: () => {}, releaseSessions: false });
    assert.deepEqual(again.stages.map((s) => s.status), ['resumed', 'skipped', 'skipped']);
    assert.equal(server.requests['/v1/completions'], requests);
    assert.equal(readFileSync(join(out, 'teacher-samples', 'data.jsonl'), 'utf8'), data);
  } finally {
    await server.close();
  }
});
