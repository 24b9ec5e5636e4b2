import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { bootstrapMeanCI } from '../../src/eval/bootstrap.ts';
import { computeBreakdowns, computeMetrics, defaultConsKs, type ScoredItem, type ScoredSample } from '../../src/eval/metrics.ts';
import { hasFencedCodeBlock, mentionsPython, solutionMode } from '../../src/eval/textstats.ts';

const same = (a: string, b: string) => a === b;

function sample(sampleIndex: number, extracted: string | null, correct: boolean, response = 'r', tokens = 10, formatOk = extracted !== null): ScoredSample {
  return { sampleIndex, response, extracted, correct, formatOk, responseTokens: tokens };
}

test('metrics on a hand-computed two-item set', async () => {
  const items: ScoredItem[] = [
    {
      id: 'a',
      subject: 'Algebra',
      level: 1,
      // Listed out of index order: cons@k must use the lowest sample indices.
      samples: [sample(3, '5', true, 'use python', 40), sample(0, '4', false, '```py\nx\n```', 10), sample(1, '5', true, 'x', 20), sample(2, null, false, 'y', 30)],
    },
    { id: 'b', subject: 'Geometry', level: 2, samples: [sample(0, '1', true), sample(1, '2', false), sample(2, '2', false), sample(3, '1', true)] },
  ];
  const m = await computeMetrics(items, { equivalent: same, bootstrap: { resamples: 200, seed: 1 } });
  assert.equal(m['pass@1'].value, (2 / 4 + 2 / 4) / 2);
  assert.deepEqual(Object.keys(m['pass@k']), ['1', '2', '3', '4']);
  // Both items: n=4, c=2 → pass@2 = 1 − C(2,2)/C(4,2) = 5/6; pass@3 = 1.
  assert.ok(Math.abs(m['pass@k']['2'].value - 5 / 6) < 1e-15);
  assert.equal(m['pass@k']['3'].value, 1);
  assert.deepEqual(Object.keys(m['cons@k']), ['1', '2', '4']);
  // k=1: a → '4' wrong; b → '1' right. k=2: a → tie 4/5, first seen '4' wrong; b → tie 1/2 → '1' right.
  // k=4: a → '5' twice wins (null does not vote); b → tie 1 (2) vs 2 (2) → '1' right.
  assert.equal(m['cons@k']['1'].value, 0.5);
  assert.equal(m['cons@k']['2'].value, 0.5);
  assert.equal(m['cons@k']['4'].value, 1);
  assert.equal(m.format_rate.value, (3 / 4 + 1) / 2);
  assert.equal(m.code_reasoning_rate.value, 1 / 4 / 2);
  assert.equal(m.code_block_rate.value, 1 / 4 / 2);
  assert.equal(m.mean_response_tokens.value, (25 + 10) / 2);
  assert.deepEqual(m.counts, { items: 2, samples: 8, minSamplesPerItem: 4 });
  const b = await computeBreakdowns(items, { equivalent: same, bootstrap: { resamples: 50 } });
  assert.deepEqual(Object.keys(b.subject), ['Algebra', 'Geometry']);
  assert.equal(b.subject.Algebra['cons@k']['4'].value, 1);
  assert.equal(b.level['1']['pass@1'].value, 0.5);
  // A constant metric has a degenerate CI at its value.
  assert.deepEqual(m['pass@k']['3'].ci, [1, 1]);
});

test('defaultConsKs and code-reasoning detectors', () => {
  assert.deepEqual(defaultConsKs(1), [1]);
  assert.deepEqual(defaultConsKs(16), [1, 2, 4, 8, 16]);
  assert.deepEqual(defaultConsKs(6), [1, 2, 4, 6]);
  assert.ok(mentionsPython('let me write python code'));
  assert.ok(!mentionsPython('Python with a capital P'));
  assert.ok(hasFencedCodeBlock('text\n```python\nprint(1)\n```\n'));
  assert.ok(!hasFencedCodeBlock('an unclosed ```python\nprint(1)'));
});

test('bootstrap CI: deterministic for a seed, about ±1.96 standard errors wide, brackets the sample mean', () => {
  const rng = new Rng(5);
  const values = Array.from({ length: 200 }, () => rng.uniform());
  const ci = bootstrapMeanCI(values, { seed: 3 });
  assert.deepEqual(ci, bootstrapMeanCI(values, { seed: 3 }));
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(ci[0] < m && m < ci[1]);
  // Standard error of a uniform mean over 200 items is 0.0204; a 95% interval spans about ±1.96 SE.
  const width = ci[1] - ci[0];
  assert.ok(width > 0.06 && width < 0.1, `width ${width}`);
});

test('bootstrap 95% CI covers the true mean at about the stated rate (seeded simulation)', () => {
  // 400 replicate evaluations of 100 items whose per-item scores are u² with u uniform on [0, 1]
  // (true mean exactly 1/3, skewed like per-item accuracies). Continuous scores keep the truth off
  // the lattice of attainable means, where inclusive bounds would inflate coverage. Seeded, so the
  // outcome is fixed; the band allows ±3.5 binomial standard deviations (0.011) and the percentile
  // bootstrap's known slight undercoverage at 100 items.
  const truth = 1 / 3;
  const rng = new Rng(2024);
  const coverage = (replicates: number, level: number): number => {
    let covered = 0;
    for (let r = 0; r < replicates; r++) {
      const values = Array.from({ length: 100 }, () => rng.uniform() ** 2);
      const [lo, hi] = bootstrapMeanCI(values, { resamples: 400, seed: r, level });
      if (lo <= truth && truth <= hi) covered++;
    }
    return covered / replicates;
  };
  const rate95 = coverage(400, 0.95);
  console.log(`95% CI coverage ${rate95} over 400 replicates`);
  assert.ok(rate95 >= 0.9 && rate95 <= 0.99, `coverage ${rate95}`);
  // A 50% interval covers about half the time: the level parameter is honoured.
  const rate50 = coverage(200, 0.5);
  console.log(`50% CI coverage ${rate50} over 200 replicates`);
  assert.ok(rate50 > 0.38 && rate50 < 0.62, `50% coverage ${rate50}`);
});

test('solution modes: code (mentions python or a fenced block) vs prose; share per item and accuracy within each mode', async () => {
  assert.equal(solutionMode('```python\nprint(3 + 4)\n```\nOutput: 7.'), 'code');
  assert.equal(solutionMode('I would use python here: 7'), 'code');
  assert.equal(solutionMode('```\nx = 1\n```'), 'code');
  assert.equal(solutionMode('3 + 4 = 7. The answer is \\boxed{7}.'), 'prose');
  assert.equal(solutionMode('Python is a language'), 'prose'); // the study's rule is lowercase `python`
  const items: ScoredItem[] = [
    { id: 'a', samples: [sample(0, '7', true, '```python\nprint(7)\n```'), sample(1, '8', false, '3 + 4 = 8.')] },
    { id: 'b', samples: [sample(0, '1', false, 'python says 1'), sample(1, '2', true, 'so 2'), sample(2, '2', true, 'so 2'), sample(3, '3', false, 'so 3')] },
  ];
  const m = await computeMetrics(items, { equivalent: same, bootstrap: { resamples: 100, seed: 0 } });
  // share: item a 1/2 code, item b 1/4 code → (1/2 + 1/4) / 2
  assert.equal(m.by_mode.code.share.value, 0.375);
  assert.equal(m.by_mode.prose.share.value, 0.625);
  assert.equal(m.by_mode.code.samples, 2);
  assert.equal(m.by_mode.prose.samples, 4);
  // code samples: right, wrong → 1/2; prose samples: wrong, right, right, wrong → 1/2
  assert.equal(m.by_mode.code.accuracy?.value, 0.5);
  assert.equal(m.by_mode.prose.accuracy?.value, 0.5);
  const proseOnly = await computeMetrics([{ id: 'c', samples: [sample(0, '1', true, 'so 1')] }], { equivalent: same });
  assert.equal(proseOnly.by_mode.code.accuracy, null);
  assert.equal(proseOnly.by_mode.code.share.value, 0);
});
