import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { summarizeRun } from '../../src/bench/ort-profile.ts';
import * as T from '../../src/tensor/index.ts';

const node = (name: string, op: string, ts: number, dur: number) => ({ cat: 'Node', name: `${name}_kernel_time`, ts, dur, args: { op_name: op, output_type_shape: [{ float: [2, 3] }] } });
const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur });

test('summarizeRun: kernel times of the chosen run only, by op, with the GEMM share', () => {
  const events = [run(0, 100), node('Gemm_0', 'Gemm', 1, 50), node('Add_1', 'Add', 60, 10), run(200, 100), node('Gemm_0', 'Gemm', 201, 30), node('Add_1', 'Add', 240, 10), node('MatMul_2', 'MatMul', 260, 20)];
  const last = summarizeRun(events);
  assert.equal(last.run, 2);
  assert.equal(last.runs, 2);
  assert.equal(last.kernel_ms, 0.06);
  assert.deepEqual(last.by_op.map((o) => [o.op, o.ms, o.nodes]), [['Gemm', 0.03, 1], ['MatMul', 0.02, 1], ['Add', 0.01, 1]]);
  assert.ok(Math.abs(last.gemm_share - 50 / 60) < 1e-12);
  assert.equal(last.slowest[0].output, 'float[2, 3]');
  const first = summarizeRun(events, 1);
  assert.equal(first.kernel_ms, 0.06);
  assert.ok(Math.abs(first.gemm_share - 50 / 60) < 1e-12);
  assert.throws(() => summarizeRun(events, 3), /--run must be 1–2, got 3/);
  assert.throws(() => summarizeRun([node('X', 'Add', 0, 1)]), /no model_run event/);
});

test('RLVR_ORT_PROFILE: a session writes the profile of its first runs, which summarizeRun reads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ort-profile-'));
  process.env.RLVR_ORT_PROFILE = join(dir, 'p');
  try {
    const g = new T.Graph();
    const x = g.input('x', 'float32', [32, 32]);
    const compiled = await T.compile(g, { y: T.reduceSum(T.matmul(x, T.exp(x))) });
    for (let i = 0; i < 3; i++) await compiled.run({ x: new Float32Array(1024).fill(0.5) });
  } finally {
    delete process.env.RLVR_ORT_PROFILE;
  }
  const files = readdirSync(dir);
  assert.equal(files.length, 1, `profile files: ${files.join(', ')}`);
  const p = summarizeRun(JSON.parse(readFileSync(join(dir, files[0]), 'utf8')));
  assert.equal(p.runs, 2, 'profiling ends after RLVR_ORT_PROFILE_RUNS (default 2) runs');
  assert.deepEqual(p.by_op.map((o) => o.op).sort(), ['Exp', 'MatMul', 'ReduceSum']);
  assert.ok(p.kernel_ms > 0 && p.kernel_ms <= p.run_ms, `kernel ${p.kernel_ms} ms of a ${p.run_ms} ms run`);
});
