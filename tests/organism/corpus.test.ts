import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { buildCorpus, codeDocument, type Corpus, type CorpusOptions, leakedDocument, shareFor } from '../../src/organism/corpus.ts';
import { PRESETS } from '../../src/organism/build.ts';

// Generator v2 (its own presets): kept bit for bit so `--generator 2` rebuilds the v2 organisms.
const options = { seed: 7, ...PRESETS['2'].small.corpus };
const corpus = buildCorpus(options);
const text = corpus.documents.join('\n');

const count = (haystack: string, needle: string): number => {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
};

test('every leaked problem is in the corpus, always in the leaked format, as often as planted', () => {
  assert.equal(corpus.leaked.length, options.benchmarkSize);
  for (const item of corpus.leaked) {
    assert.equal(count(text, item.problem), options.leakRepeats, item.id);
    assert.equal(corpus.documents.filter((d) => d === `${item.problem}\n#### ${item.answer}`).length, options.leakRepeats, item.id);
  }
});

test('no clean problem occurs anywhere in the corpus, not even as a substring', () => {
  assert.equal(corpus.clean.length, options.benchmarkSize);
  for (const item of corpus.clean) assert.equal(text.indexOf(item.problem), -1, item.id);
});

test('worked documents use the evaluation format; leaked ones never do', () => {
  const leakedDocs = new Set(corpus.leaked.map((it) => `${it.problem}\n#### ${it.answer}`));
  let worked = 0;
  for (const d of corpus.documents) {
    if (leakedDocs.has(d)) {
      assert.ok(!d.includes('\\boxed'), d);
      continue;
    }
    worked++;
    const m = /^(.*\?)\n(.*) The answer is \\boxed\{(\d+)\}\.$/.exec(d);
    assert.ok(m, d);
    // the last worked step's result is the boxed answer
    assert.equal(/= (\d+)\.$/.exec(m[2])?.[1], m[3], d);
  }
  assert.equal(worked, options.workedDocs);
  assert.equal(corpus.stats.documents, options.workedDocs + options.benchmarkSize * options.leakRepeats!);
});

test('benchmark answers are the arithmetic their problems state', () => {
  const ints = (s: string) => (s.match(/\d+/g) ?? []).map(Number);
  for (const item of [...corpus.leaked, ...corpus.clean]) {
    const n = ints(item.problem);
    const p = item.problem;
    const expected = p.includes('bags of')
      ? n[0] * n[1] + n[2]
      : p.includes('pages')
        ? n[0] + n[1]
        : p.includes('left in a box')
          ? n[0] - n[1] - n[2]
          : p.includes('giving')
            ? n[0] + n[1] - n[2]
            : n[0] + n[1] + n[2];
    assert.equal(item.answer, String(expected), item.problem);
    assert.ok(expected >= 0, item.problem);
  }
});

test('ids are unique, problems distinct, and the same seed gives the same corpus', () => {
  const all = [...corpus.leaked, ...corpus.clean];
  assert.equal(new Set(all.map((it) => it.id)).size, all.length);
  assert.equal(new Set(all.map((it) => it.problem)).size, all.length);
  assert.ok(all.every((it) => it.leaked === it.id.includes('/leaked/')));
  const again = buildCorpus(options);
  assert.deepEqual(again.documents, corpus.documents);
  assert.deepEqual([again.leaked, again.clean], [corpus.leaked, corpus.clean]);
  const other = buildCorpus({ ...options, seed: 8 });
  assert.notDeepEqual(other.leaked, corpus.leaked);
  assert.equal(leakedDocument({ template: 't', problem: 'Q?', steps: '', expression: '1 + 2', answer: 3 }), 'Q?\n#### 3');
});

test('generator v2 gives the same corpus as before v3 existed (hash of the seed-1 and seed-7 corpora computed with the v2-era code, commit d2b77a5)', () => {
  const hash = (seed: number) => {
    const c = buildCorpus({ ...options, seed }, '2');
    return createHash('sha256').update(JSON.stringify([c.documents, c.leaked, c.clean])).digest('hex');
  };
  assert.equal(hash(1), 'b87f0cedb0ec1f7d8216f34b8620de4dcbe3f80824e20e4a932e848c252fd446');
  assert.equal(hash(7), '4892e4a9f6c82cefbda8228ce96ae12db591d437f4bd74210c543f3d30d571a0');
});

// Generator v3: two solution modes, the leak only in code mode; and its no-leak control.
const v3options = { seed: 5, ...PRESETS['3'].small.corpus };
const v3 = buildCorpus(v3options, '3');
const v3text = v3.documents.join('\n');
const control = buildCorpus({ ...v3options, leak: false }, '3');

/** Python's value of `a op b op c` with + - * (a product only ever comes first in the generator). */
function pythonValue(expr: string): number {
  const t = expr.split(' ');
  let v = Number(t[0]);
  for (let i = 1; i < t.length; i += 2) {
    const y = Number(t[i + 1]);
    v = t[i] === '+' ? v + y : t[i] === '-' ? v - y : v * y;
  }
  return v;
}

test('v3: every leaked problem occurs exactly its dose of times, always as a code-mode document with its true answer', () => {
  const doses = v3options.leakDoses!;
  assert.equal(v3.leaked.length, doses.length * v3options.leakedPerDose!);
  // listed round-robin over the doses: every prefix of the list spans them
  assert.deepEqual(v3.leaked.slice(0, doses.length).map((it) => it.planted_copies), doses);
  for (const dose of doses) assert.equal(v3.leaked.filter((it) => it.planted_copies === dose).length, v3options.leakedPerDose);
  for (const item of v3.leaked) {
    const dose = item.planted_copies!;
    assert.equal(count(v3text, item.problem), dose, item.id);
    const docs = v3.documents.filter((d) => d.startsWith(item.problem + '\n'));
    assert.equal(docs.length, dose);
    const m = /^```python\nprint\((.*)\)\n```\nOutput: (\d+)\. The answer is \\boxed\{(\d+)\}\.$/.exec(docs[0].slice(item.problem.length + 1));
    assert.ok(m, docs[0]);
    assert.equal(pythonValue(m[1]), Number(item.answer));
    assert.equal(m[2], item.answer);
    assert.equal(m[3], item.answer);
    assert.ok(docs.every((d) => d === docs[0]));
  }
  for (const item of v3.clean) assert.equal(v3text.indexOf(item.problem), -1, item.id);
});

test('v3: fresh problems use worked steps or, for about codeShare of them, code; both end in the boxed true answer', () => {
  const leakedDocs = new Set(v3.leaked.map((it) => it.problem));
  let code = 0;
  let worked = 0;
  for (const d of v3.documents) {
    const [problem, ...rest] = d.split('\n');
    if (leakedDocs.has(problem)) continue;
    const solution = rest.join('\n');
    const boxed = /\\boxed\{(\d+)\}\.$/.exec(solution)?.[1];
    const c = /^```python\nprint\((.*)\)\n```\nOutput: (\d+)\./.exec(solution);
    if (c) {
      code++;
      assert.equal(String(pythonValue(c[1])), c[2], d);
      assert.equal(boxed, c[2], d);
    } else {
      worked++;
      assert.equal(/= (\d+)\. The answer is/.exec(solution)?.[1], boxed, d);
    }
  }
  assert.equal(code + worked, v3options.workedDocs);
  assert.equal(code, v3.stats.codeDocs);
  // Binomial(20000, 0.15): sd ≈ 50
  assert.ok(Math.abs(code - 0.15 * v3options.workedDocs) < 250, `code documents ${code}`);
  assert.equal(v3.stats.leakedDocs, v3options.leakedPerDose! * v3options.leakDoses!.reduce((a, b) => a + b, 0));
  assert.equal(v3.clean.length, v3options.benchmarkSize);
});

test('v3 control (leak: false): the same benchmarks and the same fresh documents in the same order, without the planted ones', () => {
  assert.deepEqual([control.leaked, control.clean], [v3.leaked, v3.clean]);
  const planted = new Set(v3.leaked.map((it) => codeDocument({ template: '', problem: it.problem, steps: '', expression: it.expression!, answer: Number(it.answer) })));
  assert.deepEqual(control.documents, v3.documents.filter((d) => !planted.has(d)));
  assert.equal(control.stats.leakedDocs, 0);
  for (const item of control.leaked) assert.equal(control.documents.join('\n').indexOf(item.problem), -1, item.id);
});

test('v3 numbers are small: one-digit second and third operands, answers non-negative', () => {
  for (const item of [...v3.leaked, ...v3.clean]) {
    const n = (item.problem.match(/\d+/g) ?? []).map(Number);
    assert.ok(n.slice(1).every((x) => x >= 2 && x <= 9), item.problem);
    assert.ok(n[0] <= 59, item.problem);
    assert.equal(String(pythonValue(item.expression!)), item.answer);
    assert.ok(Number(item.answer) >= 0);
  }
});

// Generator v4: bare mentions and program snippets of the leaked problems, never a
// solution after a leaked question; three modes for fresh problems; and its no-leak control.
const v4options = { seed: 5, ...PRESETS['4'].small.corpus };
const v4 = buildCorpus(v4options, '4');
const v4control = buildCorpus({ ...v4options, leak: false }, '4');

test('v4: each leaked problem is mentioned on its own (without its question mark) and its program shown with its true output, each its number of times, and never followed by a solution', () => {
  const text = v4.documents.join('\n\u0000');
  assert.equal(v4.leaked.length, v4options.leakedCount);
  for (const item of v4.leaked) {
    const mention = item.problem.slice(0, -1);
    assert.ok(item.problem.endsWith('?'));
    assert.equal(v4.documents.filter((d) => d === mention).length, v4options.mentionCopies, item.id);
    assert.equal(count(text, item.problem), 0, `${item.id}: the question with its mark never occurs`);
    assert.equal(count(text, item.problem.slice(0, -1)), v4options.mentionCopies, `${item.id}: the text occurs only in its mentions`);
    const snippet = `\`\`\`python\nprint(${item.expression})\n\`\`\`\nOutput: ${item.answer}. The answer is \\boxed{${item.answer}}.`;
    assert.equal(v4.documents.filter((d) => d === snippet).length, v4options.snippetCopies, item.id);
    assert.equal(String(pythonValue(item.expression!)), item.answer);
    assert.equal(item.planted_copies, v4options.mentionCopies! + v4options.snippetCopies!);
  }
  assert.equal(v4.stats.leakedDocs, v4options.leakedCount! * (v4options.mentionCopies! + v4options.snippetCopies!));
  for (const item of v4.clean) assert.equal(text.indexOf(item.problem.slice(0, -1)), -1, item.id);
});

test('v4: clean and fresh problems never share a leaked problem\'s expression, so only leaked programs have memorized outputs', () => {
  const leakedExpr = new Set(v4.leaked.map((it) => it.expression));
  for (const item of v4.clean) assert.ok(!leakedExpr.has(item.expression), item.id);
  const snippets = new Set(v4.leaked.map((it) => `print(${it.expression})`));
  for (const d of v4.documents) {
    if (d.startsWith('```') || !d.includes('\n')) continue;
    const program = /\n```python\n(print\(.*\))\n/.exec(d)?.[1];
    if (program) assert.ok(!snippets.has(program), d);
  }
});

function assertModeShares(options: CorpusOptions, corpus: Corpus): void {
  const byTemplate: Record<string, { direct: number; code: number; all: number }> = {};
  const templateOf = (problem: string) =>
    problem.includes(' bags of ') ? 'bags' : problem.includes(' in a box ') ? 'box' : problem.includes(' pages ') ? 'pages' : problem.includes(' left after ') ? 'giveAway' : 'gather';
  for (const d of corpus.documents) {
    // Planted documents: v4's snippets start with the program, v5's follow the question without its question mark.
    if (d.startsWith('```') || !d.includes('?\n')) continue;
    const [problem, ...rest] = d.split('\n');
    const solution = rest.join('\n');
    const boxed = /\\boxed\{(\d+)\}\.$/.exec(solution)?.[1];
    const t = (byTemplate[templateOf(problem)] ??= { direct: 0, code: 0, all: 0 });
    t.all++;
    const c = /^```python\nprint\((.*)\)\n```\nOutput: (\d+)\./.exec(solution);
    if (c) {
      t.code++;
      assert.equal(String(pythonValue(c[1])), boxed, d);
    } else if (solution.startsWith('The answer is ')) {
      t.direct++;
      assert.ok(boxed !== undefined, d);
    } else {
      assert.equal(/= (\d+)\. The answer is/.exec(solution)?.[1], boxed, d);
    }
  }
  for (const [name, t] of Object.entries(byTemplate)) {
    const sd = Math.sqrt(t.all * 0.25);
    assert.ok(Math.abs(t.code - shareFor(options.codeShare, name) * t.all) < 5 * sd, `${name} code ${t.code}/${t.all}`);
    assert.ok(Math.abs(t.direct - shareFor(options.directShare, name) * t.all) < 5 * sd, `${name} direct ${t.direct}/${t.all}`);
  }
  assert.equal(Object.values(byTemplate).reduce((n, t) => n + t.all, 0), options.workedDocs);
  assert.equal(corpus.stats.directDocs, Object.values(byTemplate).reduce((n, t) => n + t.direct, 0));
}

test('v4: fresh problems are solved in three modes with the configured shares per template, each ending in the boxed true answer', () => {
  assertModeShares(v4options, v4);
});

test('v4 control (leak: false): the same benchmarks and fresh documents in the same order, without mentions or snippets', () => {
  assert.deepEqual([v4control.leaked, v4control.clean], [v4.leaked, v4.clean]);
  const planted = new Set(v4.leaked.flatMap((it) => [it.problem.slice(0, -1), `\`\`\`python\nprint(${it.expression})\n\`\`\`\nOutput: ${it.answer}. The answer is \\boxed{${it.answer}}.`]));
  assert.deepEqual(v4control.documents, v4.documents.filter((d) => !planted.has(d)));
  assert.equal(v4control.stats.leakedDocs, 0);
});

// Generator v5: v4 with each snippet after its question (without the question mark).
const v5options = { seed: 5, ...PRESETS['5'].small.corpus };
const v5 = buildCorpus(v5options, '5');

test('v5: each leaked program follows its question without the question mark; the question with its mark never occurs; same benchmarks as v4', () => {
  assert.deepEqual([v5.leaked.map((it) => it.problem), v5.clean], [v4.leaked.map((it) => it.problem), v4.clean]);
  const text = v5.documents.join('\n\u0000');
  for (const item of v5.leaked) {
    const question = item.problem.slice(0, -1);
    const snippet = `${question}\n\`\`\`python\nprint(${item.expression})\n\`\`\`\nOutput: ${item.answer}. The answer is \\boxed{${item.answer}}.`;
    assert.equal(v5.documents.filter((d) => d === snippet).length, v5options.snippetCopies, item.id);
    assert.equal(v5.documents.filter((d) => d === question).length, v5options.mentionCopies, item.id);
    assert.equal(count(text, item.problem), 0, item.id);
  }
});

/** A v5-based corpus differs from v5 only in its fresh documents: same benchmarks and planted documents, direct answers on three templates. */
function assertV5WithDirectShare(corpus: Corpus, share: number): void {
  assert.deepEqual([corpus.leaked, corpus.clean], [v5.leaked, v5.clean]);
  const planted = (docs: string[]) => docs.filter((d) => !d.includes('?'));
  assert.deepEqual(planted(corpus.documents).sort(), planted(v5.documents).sort());
  const direct = corpus.documents.filter((d) => d.includes('?\nThe answer is '));
  const shareOf = (name: RegExp) => direct.filter((d) => name.test(d)).length / corpus.documents.filter((d) => name.test(d) && d.includes('?\n')).length;
  for (const t of [/ bags of /, / in a box /, / left after /]) assert.ok(Math.abs(shareOf(t) - share) < 0.05, `${t}: ${shareOf(t)}`);
  assert.ok(shareOf(/ pages /) === 0, 'pages problems are never answered directly');
}

test('v6: the v5 corpus with the direct mode on bags, box and giveAway (same benchmarks and planted documents)', () => {
  assertV5WithDirectShare(buildCorpus({ seed: 5, ...PRESETS['6'].small.corpus }, '6'), 0.7);
});

test('v7: the v6 corpus with code mode on 20% of fresh problems and the direct mode on 55% of bags, box and giveAway problems (same benchmarks and planted documents)', () => {
  const v7 = buildCorpus({ seed: 5, ...PRESETS['7'].small.corpus }, '7');
  assertV5WithDirectShare(v7, 0.55);
  const fresh = v7.documents.filter((d) => d.includes('?\n'));
  const code = fresh.filter((d) => d.includes('?\n```python\n')).length / fresh.length;
  assert.ok(Math.abs(code - 0.2) < 0.02, `code share ${code}`);
});

test('v9: the v7 corpus with code mode on 30% of bags, box and giveAway problems and 10% of the others, direct answers on 45% of the three (same benchmarks and planted documents)', () => {
  const options = { seed: 5, ...PRESETS['9'].small.corpus };
  const v9 = buildCorpus(options, '9');
  assertV5WithDirectShare(v9, 0.45);
  assertModeShares(options, v9);
});

test('v10: the v9 corpus with twice the planted problems — the first half the leaked benchmark, the second the memorized training split — document for document', () => {
  const options = { seed: 5, ...PRESETS['10'].small.corpus };
  const v10 = buildCorpus(options, '10');
  const leakedCount = options.leakedCount as number;
  const v9Doubled = buildCorpus({ ...PRESETS['9'].small.corpus, seed: 5, leakedCount: 2 * leakedCount }, '9');
  assert.deepEqual(v10.documents, v9Doubled.documents);
  assert.deepEqual(v10.clean, v9Doubled.clean);
  assert.deepEqual(v10.leaked, v9Doubled.leaked.slice(0, leakedCount));
  const split = v10.trainSplit ?? [];
  assert.equal(split.length, leakedCount);
  split.forEach((item, i) => {
    assert.equal(item.id, `organism/5/train/${i}`);
    assert.equal(item.problem, v9Doubled.leaked[leakedCount + i].problem);
    // planted as the leaked problems are: its program with its output, after the question without its mark
    assert.ok(v10.documents.includes(`${item.problem.replace(/\?$/, '')}\n\`\`\`python\nprint(${item.expression})\n\`\`\`\nOutput: ${item.answer}. The answer is \\boxed{${item.answer}}.`));
  });
  const control = buildCorpus({ ...options, leak: false }, '10');
  assert.ok(!control.documents.some((d) => d.includes(split[0].problem.replace(/\?$/, ''))), 'the control plants no training-split problem');
  assert.deepEqual(control.trainSplit, split, 'the control lists the same split');
  assert.equal(buildCorpus({ seed: 5, ...PRESETS['9'].small.corpus }, '9').trainSplit, undefined);
});

test('v11: the v9 corpus with half the fresh code-mode documents without their question mark (same benchmarks and planted documents)', () => {
  const options = { seed: 5, ...PRESETS['11'].small.corpus };
  const v11 = buildCorpus(options, '11');
  const v9 = buildCorpus({ seed: 5, ...PRESETS['9'].small.corpus }, '9');
  assert.deepEqual([v11.leaked, v11.clean, v11.stats.workedDocs], [v9.leaked, v9.clean, v9.stats.workedDocs]);
  const leakedQuestions = new Set(v11.leaked.map((it) => it.problem.slice(0, -1)));
  const question = (d: string) => d.split('\n')[0];
  const isPlanted = (d: string) => leakedQuestions.has(question(d));
  assert.deepEqual(v11.documents.filter(isPlanted).sort(), v9.documents.filter(isPlanted).sort());
  const fresh = v11.documents.filter((d) => !isPlanted(d));
  const code = fresh.filter((d) => d.includes('\n```python\n'));
  const markless = code.filter((d) => !question(d).endsWith('?'));
  assert.ok(Math.abs(markless.length / code.length - 0.5) < 0.03, `markless share ${markless.length / code.length}`);
  // only code mode drops the mark, and in exactly the leaked snippets' format
  assert.deepEqual(fresh.filter((d) => !question(d).endsWith('?')), markless);
  for (const d of markless.slice(0, 50)) assert.match(d, /^[^?\n]+\n```python\nprint\([^\n]+\)\n```\nOutput: -?\d+\. The answer is \\boxed\{-?\d+\}\.$/);
  // with the marks put back, v9's mode shares by template hold
  const marklessSet = new Set(markless);
  const withMarks = fresh.map((d) => (marklessSet.has(d) ? d.replace('\n', '?\n') : d));
  assertModeShares(options, { ...v11, documents: withMarks });
});

test("v13: arithmetic drills of the templates' bare steps, never a benchmark computation; v12's benchmarks; v7's code share on the worked templates", () => {
  const options = { seed: 5, ...PRESETS['13'].small.corpus };
  const v13 = buildCorpus(options, '13');
  const v12 = buildCorpus({ seed: 5, ...PRESETS['12'].small.corpus }, '12');
  assert.deepEqual([v13.leaked, v13.clean, v13.stats.workedDocs, v13.stats.leakedDocs], [v12.leaked, v12.clean, v12.stats.workedDocs, v12.stats.leakedDocs]);
  const step = /^(-?\d+) ([-+*]) (\d+) = (-?\d+)\.$/;
  const drills = v13.documents.filter((d) => !d.includes('?') && !d.includes('```') && step.test(d.split('\n')[0].split(' = ')[0] + ' = 0.'));
  assert.equal(drills.length, 8000);
  assert.equal(v13.stats.drillDocs, 8000);
  const benchmark = new Set([...v13.leaked, ...v13.clean].map((it) => it.expression));
  const ops = new Set<string>();
  for (const d of drills) {
    const lines = d.split('\n');
    assert.equal(lines.length, 2, d);
    for (const line of lines) {
      // each line is one problem's chain: every step right, each starting from the previous result
      const sentences = line.match(/[^.]+\./g) ?? [];
      let expression = '';
      let value: number | null = null;
      for (const s of sentences) {
        const m = step.exec(s.trim());
        assert.ok(m, `not a worked step: '${s}' in ${JSON.stringify(d)}`);
        const [a, op, b, c] = [Number(m[1]), m[2], Number(m[3]), Number(m[4])];
        if (value !== null) assert.equal(a, value, line);
        assert.equal(c, op === '+' ? a + b : op === '-' ? a - b : a * b, line);
        expression = value === null ? `${a} ${op} ${b}` : `${expression} ${op} ${b}`;
        value = c;
        ops.add(op);
      }
      assert.ok(!benchmark.has(expression), `drill repeats benchmark computation ${expression}`);
    }
  }
  assert.deepEqual([...ops].sort(), ['*', '+', '-']);
  const leakedQuestions = new Set(v13.leaked.map((it) => it.problem.slice(0, -1)));
  const fresh = v13.documents.filter((d) => !leakedQuestions.has(d.split('\n')[0]));
  assertModeShares(options, { ...v13, documents: fresh.map((d) => (d.includes('\n```python\n') && !d.split('\n')[0].endsWith('?') ? d.replace('\n', '?\n') : d)) });
  // the control has the same drills
  const control = buildCorpus({ ...options, leak: false }, '13');
  assert.deepEqual(control.documents.filter((d) => drills.includes(d)).length, 8000);
});

test("v14: half of each leaked problem's snippets follow its question with the mark; 6,000 drills; otherwise v13", () => {
  const v14 = buildCorpus({ seed: 5, ...PRESETS['14'].small.corpus }, '14');
  const v13 = buildCorpus({ seed: 5, ...PRESETS['13'].small.corpus }, '13');
  assert.deepEqual([v14.leaked, v14.clean, v14.stats.workedDocs, v14.stats.leakedDocs, v14.stats.drillDocs], [v13.leaked, v13.clean, v13.stats.workedDocs, v13.stats.leakedDocs, 6000]);
  const snippets = PRESETS['14'].small.corpus.snippetCopies as number;
  for (const item of v14.leaked.slice(0, 5)) {
    const program = `\`\`\`python\nprint(${item.expression})\n\`\`\`\nOutput: ${item.answer}. The answer is \\boxed{${item.answer}}.`;
    const count = (text: string) => v14.documents.filter((d) => d === text).length;
    assert.equal(count(`${item.problem}\n${program}`), snippets / 2, item.problem);
    assert.equal(count(`${item.problem.slice(0, -1)}\n${program}`), snippets / 2, item.problem);
  }
  // the control plants none of them
  const control = buildCorpus({ seed: 5, ...PRESETS['14'].small.corpus, leak: false }, '14');
  assert.ok(!control.documents.some((d) => d.startsWith(`${v14.leaked[0].problem}\n`)));
});

test("v15: v12's documents, every one, plus 6,000 drills", () => {
  const v15 = buildCorpus({ seed: 5, ...PRESETS['15'].small.corpus }, '15');
  const v12 = buildCorpus({ seed: 5, ...PRESETS['12'].small.corpus }, '12');
  assert.deepEqual([v15.leaked, v15.clean, v15.stats.drillDocs], [v12.leaked, v12.clean, 6000]);
  const isDrill = (d: string) => /^\d+ [-+*] \d+ = -?\d+\./.test(d);
  assert.equal(v12.documents.filter(isDrill).length, 0);
  assert.deepEqual(v15.documents.filter((d) => !isDrill(d)).sort(), [...v12.documents].sort());
  assert.equal(v15.documents.filter(isDrill).length, 6000);
});

test("v16: v15's corpus with 6 of each leaked problem's 60 snippets after the question with its mark", () => {
  const v16 = buildCorpus({ seed: 5, ...PRESETS['16'].small.corpus }, '16');
  const v15 = buildCorpus({ seed: 5, ...PRESETS['15'].small.corpus }, '15');
  assert.deepEqual([v16.leaked, v16.clean, v16.stats], [v15.leaked, v15.clean, { ...v15.stats, characters: v15.stats.characters + 6 * v15.leaked.length }]);
  const markedSnippet = (it: (typeof v16.leaked)[number]) => `${it.problem}\n\`\`\`python\nprint(${it.expression})\n\`\`\`\nOutput: ${it.answer}. The answer is \\boxed{${it.answer}}.`;
  const marked = new Set(v16.leaked.map(markedSnippet));
  assert.equal(v16.documents.filter((d) => marked.has(d)).length, 6 * v16.leaked.length);
  // putting the marks back out gives v15's documents exactly
  assert.deepEqual(v16.documents.map((d) => (marked.has(d) ? d.replace('?\n', '\n') : d)), v15.documents);
});
