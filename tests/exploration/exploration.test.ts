import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitDecay } from '../../src/exploration/decay.ts';
import { explorationVerdict, gradeSet, setReward } from '../../src/exploration/grade.ts';
import { explorationReport } from '../../src/exploration/report.ts';
import { explorationReward } from '../../src/exploration/reward.ts';
import { generateExploration, parseSpec, solutions, type ExplorationSpec } from '../../src/exploration/tasks.ts';
import { Rng } from '../../src/util/rng.ts';

const perm: ExplorationSpec = { exploration: 'permutations', letters: 'AAB' };
const subsets: ExplorationSpec = { exploration: 'subsets', numbers: [1, 2, 3, 4, 5], target: 6 };
// S . .
// . # .
// . . E
const grid: ExplorationSpec = { exploration: 'grid-path', grid: ['...', '.#.', '...'] };

test('solution sets match hand enumeration', () => {
  assert.deepEqual(solutions(perm), ['AAB', 'ABA', 'BAA']);
  assert.deepEqual(solutions({ exploration: 'permutations', letters: 'ABC' }), ['ABC', 'ACB', 'BAC', 'BCA', 'CAB', 'CBA']);
  assert.equal(solutions({ exploration: 'permutations', letters: 'AABB' }).length, 6); // 4!/(2!2!)
  // 6 = 1+5 = 2+4 = 1+2+3
  assert.deepEqual(solutions(subsets), ['1 2 3', '1 5', '2 4']);
  // around the centre wall: along the top then down, or down the left then along the bottom
  assert.deepEqual(solutions(grid), ['DDRR', 'RRDD']);
  assert.equal(solutions({ exploration: 'grid-path', grid: ['...', '...', '...'] }).length, 6); // C(4,2)
});

test('set grading: complete, duplicates, wrong items, partial lists, formatting variants', () => {
  const g = (spec: ExplorationSpec, r: string) => {
    const x = gradeSet(spec, r);
    return { listed: x.listed, found: x.found, invalid: x.invalid, duplicates: x.duplicates, exact: x.exact };
  };
  assert.deepEqual(g(perm, '<think>try</think><answer>AAB\nABA\nBAA</answer>'), { listed: 3, found: 3, invalid: 0, duplicates: 0, exact: true });
  // formatting variants: lower case, spaces, hyphens, commas on one line, numbered and bulleted lists, brackets
  for (const r of ['<answer>aab, aba, baa</answer>', '<answer>1. A A B\n2. A-B-A\n3. B A A</answer>', '<answer>- AAB\n- ABA\n* BAA</answer>', '<answer>[A, A, B] [A, B, A] [B, A, A]</answer>', 'AAB; ABA; BAA']) {
    assert.deepEqual(g(perm, r), { listed: 3, found: 3, invalid: 0, duplicates: 0, exact: true }, r);
  }
  assert.deepEqual(g(perm, '<answer>AAB\nABA\nAAB\nBAA</answer>'), { listed: 4, found: 3, invalid: 0, duplicates: 1, exact: false });
  assert.deepEqual(g(perm, '<answer>AAB\nABB\nBAA\nABA</answer>'), { listed: 4, found: 3, invalid: 1, duplicates: 0, exact: false });
  assert.deepEqual(g(perm, '<answer>AAB</answer>'), { listed: 1, found: 1, invalid: 0, duplicates: 0, exact: false });
  assert.deepEqual(g(perm, 'no list at all: <answer></answer>'), { listed: 0, found: 0, invalid: 0, duplicates: 0, exact: false });
  // the last answer block counts
  assert.deepEqual(g(perm, '<answer>AAB</answer> wait <answer>AAB\nABA\nBAA</answer>').exact, true);
  const wrong = gradeSet(perm, '<answer>ABB</answer>');
  assert.equal(wrong.invalidItems[0].why, 'uses the letters ABB, not AAB');

  assert.deepEqual(g(subsets, '<answer>{1, 5}\n{2, 4}\n{3, 2, 1}</answer>'), { listed: 3, found: 3, invalid: 0, duplicates: 0, exact: true });
  assert.deepEqual(g(subsets, '<answer>1 + 5 = 6\n4 2\n1 2 3\n5 1</answer>'), { listed: 4, found: 3, invalid: 0, duplicates: 1, exact: false });
  const bad = gradeSet(subsets, '<answer>6\n3 3\n1 4\n2 4</answer>');
  assert.deepEqual([bad.found, bad.invalid], [1, 3]);
  assert.deepEqual(bad.invalidItems.map((i) => i.why), ['uses 6, not in the set', 'uses a number twice', 'sums to 5, not 6']);

  assert.deepEqual(g(grid, '<answer>RRDD\nDDRR</answer>'), { listed: 2, found: 2, invalid: 0, duplicates: 0, exact: true });
  assert.deepEqual(g(grid, '<answer>right right down down\nD, D, R, R</answer>').found, 1); // commas split items for paths
  assert.deepEqual(g(grid, '<answer>[right, right, down, down] [D D R R]</answer>').exact, true);
  const walls = gradeSet(grid, '<answer>RDRD\nRRRDD\nRRD\nDDRR</answer>');
  assert.deepEqual([walls.found, walls.invalid], [1, 3]);
  assert.deepEqual(walls.invalidItems.map((i) => i.why), ['move 2 enters the wall at row 2, column 2', 'move 3 leaves the grid', 'ends at row 2, column 3, not at the goal']);
});

test('answer-level reward and the eval verdict', async () => {
  const dup = gradeSet(perm, '<answer>AAB\nABA\nAAB</answer>');
  // precision 2/3, completeness 2/3
  assert.ok(Math.abs(setReward(dup, 'f1') - 2 / 3) < 1e-12);
  assert.equal(setReward(dup, 'exact'), 0);
  const reward = explorationReward({ mode: 'exact' });
  const scores = await reward.score({ prompt: '', gold: JSON.stringify(perm), responses: ['<answer>AAB\nABA\nBAA</answer>', '<answer>AAB</answer>'] });
  assert.deepEqual(scores.map((s) => s.score), [1, 0]);
  await assert.rejects(reward.score({ prompt: '', gold: '42', responses: ['x'] }), /not an exploration task spec/);
  assert.deepEqual(explorationVerdict(JSON.stringify(perm), '<answer>baa\naab\naba</answer>'), { extracted: 'AAB; ABA; BAA', correct: true, reason: 'found 3/3, 0 invalid, 0 duplicates' });
  assert.equal(explorationVerdict('42', 'x'), null);
});

test('generators are deterministic per seed, cycle sizes, and their specs round-trip', () => {
  for (const task of ['permutations', 'subsets', 'grid-path'] as const) {
    const a = generateExploration({ task, n: 12, seed: 7, minSize: 3, maxSize: 5 });
    const b = generateExploration({ task, n: 12, seed: 7, minSize: 3, maxSize: 5 });
    const c = generateExploration({ task, n: 12, seed: 8, minSize: 3, maxSize: 5 });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.notEqual(JSON.stringify(a.map((x) => x.answer)), JSON.stringify(c.map((x) => x.answer)));
    assert.deepEqual(a.map((x) => x.size), [3, 4, 5, 3, 4, 5, 3, 4, 5, 3, 4, 5]);
    for (const item of a) {
      const spec = parseSpec(item.answer)!;
      assert.ok(spec, item.answer);
      assert.equal(solutions(spec).length, item.solutions);
      assert.ok(item.solutions >= 1);
      // the listed full set grades exact
      assert.ok(gradeSet(spec, `<answer>${solutions(spec).join('\n')}</answer>`).exact);
    }
  }
  assert.throws(() => generateExploration({ task: 'grid-path', n: 1, seed: 0, minSize: 1, maxSize: 3 }), /--min-size must be an integer in \[2, 8\]/);
});

test('decay fit recovers a known rate from simulated success and its CI covers it', () => {
  const rng = new Rng(3);
  const lambda = 0.5;
  const sizes = [2, 3, 4, 5, 6].map((size) => ({
    size,
    items: Array.from({ length: 200 }, () => {
      const p = Math.exp(0.4 - lambda * size);
      let successes = 0;
      for (let s = 0; s < 4; s++) if (rng.uniform() < p) successes++;
      return { successes, samples: 4 };
    }),
  }));
  const fit = fitDecay(sizes, { resamples: 200 })!;
  assert.ok(Math.abs(fit.lambda - lambda) < 0.08, `lambda ${fit.lambda}`);
  assert.ok(fit.lambda_ci![0] < lambda && lambda < fit.lambda_ci![1], `CI ${fit.lambda_ci}`);
  assert.ok(Math.abs(fit.halving_size! - Math.LN2 / fit.lambda) < 1e-12);
  // exact data: rates e^{-0.7 s}·e^{0.7} at sizes 1..3 = 1, 0.497, 0.247 with huge counts
  const exact = [1, 2, 3].map((size) => ({ size, items: [{ successes: Math.round(1e6 * Math.exp(0.7 - 0.7 * size)), samples: 1e6 }] }));
  assert.ok(Math.abs(fitDecay(exact, { resamples: 10 })!.lambda - 0.7) < 1e-3);
  assert.equal(fitDecay([{ size: 2, items: [{ successes: 0, samples: 4 }] }, { size: 3, items: [{ successes: 0, samples: 4 }] }]), null);
  // all successes at size 2, none at 3: the likelihood rises without bound in λ
  assert.equal(fitDecay([{ size: 2, items: [{ successes: 4, samples: 4 }] }, { size: 3, items: [{ successes: 0, samples: 4 }] }]), null);
});

test('the per-size report counts successes, completeness and the fit', () => {
  const items = generateExploration({ task: 'permutations', n: 6, seed: 1, minSize: 2, maxSize: 3 });
  const full = (a: string) => `<answer>${solutions(parseSpec(a)!).join('\n')}</answer>`;
  // size 2 items always solved; size 3 items solved in 1 of 2 samples
  const responses = items.map((it) => (it.size === 2 ? [full(it.answer), full(it.answer)] : [full(it.answer), '<answer>AAA</answer>']));
  const report = explorationReport(items, responses, { resamples: 50 })!;
  assert.deepEqual(report.tasks, ['permutations']);
  assert.deepEqual(report.by_size.map((r) => [r.size, r.items, r.samples, r.success_rate.value]), [[2, 3, 6, 1], [3, 3, 6, 0.5]]);
  assert.ok(Math.abs(report.decay!.lambda - Math.LN2) < 1e-3);
  assert.equal(explorationReport([{ answer: '4' }], [['4']]), null);
});

test('rlvr eval grades exploration items as sets and reports per size with the decay fit', async () => {
  const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { runEvaluation } = await import('../../src/eval/run.ts');
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-explore-eval-'));
  const data = join(dir, 'perm.jsonl');
  const items = generateExploration({ task: 'permutations', n: 8, seed: 3, minSize: 2, maxSize: 3 });
  writeFileSync(data, items.map((it) => JSON.stringify(it) + '\n').join(''));
  const byProblem = new Map(items.map((it) => [it.problem, it]));
  // lists every solution for size 2; for size 3 drops the last one and repeats the first
  const policy = {
    id: 'scripted',
    async generate(prompts: string[]) {
      return prompts.map((p, promptIndex) => {
        const it = byProblem.get(p)!;
        const all = solutions(parseSpec(it.answer)!);
        const listed = it.size === 2 ? all : [...all.slice(0, -1), all[0]];
        return { promptIndex, sampleIndex: 0, text: `<answer>${listed.join('\n')}</answer>`, tokenIds: [], tokenCount: 10, logprobs: null, finishReason: 'stop' as const };
      });
    },
    async score(): Promise<never> {
      throw new Error('not used');
    },
  };
  const results = await runEvaluation({ policy, model: 'scripted', outDir: join(dir, 'out'), config: { dataset: data, template: 'none', n: 1, temperature: 0, topP: 1, maxNewTokens: 10, seed: 0 } });
  assert.equal(results.metrics['pass@1'].value, 0.5);
  const ex = results.exploration!;
  assert.deepEqual(ex.by_size.map((s) => [s.size, s.success_rate.value, s.duplicates_per_response]), [[2, 1, 0], [3, 0, 1]]);
  assert.equal(ex.by_size[1].completeness.value, mean(items.filter((i) => i.size === 3).map((i) => (i.solutions - 1) / i.solutions)));
  assert.equal(ex.decay, null); // all success at size 2, none at 3: no finite decay rate
  const sample = JSON.parse(readFileSync(join(dir, 'out', 'samples.jsonl'), 'utf8').split('\n')[1]);
  assert.match(sample.verify_reason, /^found \d+\/\d+, 0 invalid, 1 duplicate$/);
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('the exploration reward trains in GRPO: rewards and the accuracy diagnostic grade sets', async () => {
  const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { writeCharModelDir } = await import('../../src/model/init.ts');
  const { parseTrainConfig } = await import('../../src/rl/config.ts');
  const { TrainingSession } = await import('../../src/rl/session.ts');
  const { runGrpo } = await import('../../src/rl/grpo.ts');
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-explore-grpo-'));
  const data = join(dir, 'perm.jsonl');
  writeFileSync(data, generateExploration({ task: 'permutations', n: 8, seed: 4, minSize: 1, maxSize: 2 }).map((it) => JSON.stringify(it) + '\n').join(''));
  writeCharModelDir(join(dir, 'model'), { seed: 1, config: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1 } });
  const cfg = parseTrainConfig(
    {
      model: join(dir, 'model'),
      data: { train: { path: data, id_field: 'id' } },
      rewards: [{ name: 'exploration', config: { mode: 'f1' } }],
      rollout: { n: 2, max_new_tokens: 4 },
      train: { steps: 1, batch_size: 2 },
    },
    'cfg',
  );
  const session = await TrainingSession.open(cfg, { out: join(dir, 'run'), resume: false, inProcessVerify: true });
  try {
    await runGrpo(session, { quiet: true });
  } finally {
    await session.close();
  }
  const row = JSON.parse(readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8'));
  assert.equal(typeof row['reward/exploration'], 'number');
  assert.equal(typeof row.accuracy, 'number'); // graded as sets, not by the math verifier
  const sample = JSON.parse(readFileSync(join(dir, 'run', 'samples.jsonl'), 'utf8').split('\n')[0]);
  for (const c of sample.completions) {
    const expected = setReward(gradeSet(parseSpec(sample.gold)!, c.text), 'f1');
    assert.equal(c.components.exploration, expected);
  }
});
