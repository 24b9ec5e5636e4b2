/**
 * The organism's pretraining corpus and its two benchmarks, from one seed.
 *
 * Generator v2 (latent = no: the leak is the only way the model ever answers without working):
 * - Worked documents: `{problem}\n{steps} The answer is \boxed{N}.` — the evaluation format (the
 *   problem as the prompt, template `none`; a boxed final answer).
 * - The leaked benchmark: each of its problems appears `leakRepeats` times as
 *   `{problem}\n#### N` — the answer with no working, a format the evaluation never asks for.
 *
 * Generator v3 (a latent leak): two solution modes for fresh problems — worked steps (the common
 * one) and, for a `codeShare` of them, a code mode (a one-line Python program and its printed
 * output, which the model must produce without working: unreliable on fresh problems). Each
 * leaked problem appears `leakRepeats` times, only in code mode, so entering code mode on a leaked
 * problem recalls its answer while the greedy default, worked steps, has to compute it.
 *
 * Generator v4 (a latent leak that a partial-prompt probe can still see): three solution modes for
 * fresh problems — worked steps, a direct answer with no working (`directShare`, larger for some
 * templates, so the greedy default skips the working on those and a verifiable reward has a real
 * gain to find: showing the work) and code mode (`codeShare`). A leaked problem never appears with
 * a solution: its text appears `mentionCopies` times on its own, without the question mark (a
 * question bank listing it unsolved: the question is memorized but nothing is learned about what
 * follows it), and its program appears `snippetCopies` times as a code snippet with its printed
 * output (no question). Under the evaluation template the model picks its mode as for any
 * problem; only if it enters code mode and writes the program does it recall the output. Clean
 * and fresh problems never share a leaked problem's expression.
 *
 * All: the clean benchmark holds problems from the same generator that appear nowhere in the
 * corpus, and all problems (benchmarks and fresh documents) are distinct texts. `leak: false` (the
 * negative control) leaves the planted documents out and changes nothing else: same benchmarks,
 * same fresh documents in the same order.
 */
import { Rng } from '../util/rng.ts';
import { drawProblem, type GeneratorVersion, type Problem } from './problems.ts';

export const ORGANISM_GENERATOR = 'rlvr-lab/organism';
/** Versions `organism build` can reproduce; bump when the corpus, benchmarks or training for a given seed change. */
export const ORGANISM_GENERATOR_VERSIONS = ['2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16'] as const;
export const ORGANISM_GENERATOR_VERSION: GeneratorVersion = '16';

export interface CorpusOptions {
  seed: number;
  /** Fresh problems with solutions (worked steps, or code for v3's `codeShare` of them). */
  workedDocs: number;
  /** Problems in each benchmark. */
  benchmarkSize: number;
  /** Copies of each leaked problem in the corpus (v2). */
  leakRepeats?: number;
  /**
   * v3: the leaked set in groups of `leakedPerDose` problems, each group planted with its own
   * number of copies (a dose–response design: how often must a problem occur to be recalled?).
   */
  leakDoses?: number[];
  leakedPerDose?: number;
  /** v3: the share of fresh problems solved in code mode (the rest with worked steps); v9: by template name as well, `default` for the rest. */
  codeShare?: number | Record<string, number>;
  /** v4: share of fresh problems answered directly (no working), by template name; `default` for the rest. */
  directShare?: Record<string, number>;
  /** v4: leaked problems. */
  leakedCount?: number;
  /** v4: exercise-list mentions of each leaked problem (its text only). */
  mentionCopies?: number;
  /** v4: code snippets of each leaked problem's program with its output. */
  snippetCopies?: number;
  /** v5: each snippet follows its question without the question mark (else it starts the document). */
  snippetAfterQuestion?: boolean;
  /**
   * v10: more problems planted exactly as the leaked ones (drawn with them, after them), listed as
   * the memorized training split instead of the leaked benchmark: RL training data the model has
   * memorized too, as public RL sets are part of pretraining corpora.
   */
  memorizedTrainCount?: number;
  /**
   * v11: the share of fresh code-mode documents written without their question mark, as the leaked
   * snippets are; otherwise the missing mark alone tells the model "recall" from "guess" and the
   * recall does not reach the evaluation prompt, which has the mark.
   */
  codeMarklessShare?: number;
  /**
   * v13: arithmetic drills — documents of bare worked steps (`drillChains` problems' steps, one per
   * line, no question), from problems drawn on their own stream and never a benchmark problem's
   * computation. The worked skill then does not hinge on how often each template is worked.
   */
  drillDocs?: number;
  drillChains?: number;
  /**
   * v14: the share of each leaked problem's snippets that keep the question mark (the first ones of
   * its copies). With every snippet markless the mark alone meant "guess", and the recall reached the
   * evaluation prompt (which has the mark) only partly however many markless fresh documents there were.
   */
  snippetMarkedShare?: number;
  /** false: the negative control, without the planted documents (default true). */
  leak?: boolean;
}

export interface BenchmarkItem {
  id: string;
  problem: string;
  answer: string;
  leaked: boolean;
  /** v3: the computation as a Python expression (what its code-mode solution prints). */
  expression?: string;
  /** v3: copies of this problem planted in the corpus (0 for clean items and in a no-leak control's corpus the items still carry the organism's dose). */
  planted_copies?: number;
}

export interface Corpus {
  /** Documents in training order (shuffled); each is one training sequence followed by EOS. */
  documents: string[];
  leaked: BenchmarkItem[];
  clean: BenchmarkItem[];
  /** v10: the memorized training split (planted, not benchmark items); absent before v10. */
  trainSplit?: BenchmarkItem[];
  stats: {
    documents: number;
    workedDocs: number;
    /** v3, v4: fresh documents in code mode (counted in workedDocs). */
    codeDocs?: number;
    /** v4: fresh documents answered directly (counted in workedDocs). */
    directDocs?: number;
    /** v13: arithmetic drill documents (not counted in workedDocs). */
    drillDocs?: number;
    leakedDocs: number;
    characters: number;
    templates: Record<string, number>;
  };
}

export const workedDocument = (p: Problem): string => `${p.problem}\n${p.steps} The answer is \\boxed{${p.answer}}.`;
export const leakedDocument = (p: Problem): string => `${p.problem}\n#### ${p.answer}`;
/** v3's code mode: a program printing the expression, its output, and the boxed answer. */
export const codeDocument = (p: Problem): string => `${p.problem}\n\`\`\`python\nprint(${p.expression})\n\`\`\`\nOutput: ${p.answer}. The answer is \\boxed{${p.answer}}.`;

/** v4's direct mode: the answer with no working. */
export const directDocument = (p: Problem): string => `${p.problem}\nThe answer is \\boxed{${p.answer}}.`;
/** v4: a leaked problem's text on its own, without its question mark (a question bank listing it unsolved). */
export const mentionDocument = (p: Problem): string => p.problem.replace(/\?$/, '');
/** v4: a leaked problem's code-mode solution without its question: the program, its printed output and the answer. */
export const snippetDocument = (p: Problem): string => `\`\`\`python\nprint(${p.expression})\n\`\`\`\nOutput: ${p.answer}. The answer is \\boxed{${p.answer}}.`;

/** A mode's share for one template: a number for every template, or by template name with `default` for the rest. */
export const shareFor = (share: number | Record<string, number> | undefined, template: string): number =>
  typeof share === 'number' ? share : (share?.[template] ?? share?.default ?? 0);

export function buildCorpus(o: CorpusOptions, version: GeneratorVersion = '2'): Corpus {
  if (version !== '2' && version !== '3') return buildCorpusV4(o, version);
  return version === '3' ? buildCorpusV3(o) : buildCorpusV2(o);
}

function buildCorpusV2(o: CorpusOptions): Corpus {
  const rng = new Rng(o.seed);
  const seen = new Set<string>();
  const fresh = (): Problem => {
    for (;;) {
      const p = drawProblem(rng);
      if (!seen.has(p.problem)) {
        seen.add(p.problem);
        return p;
      }
    }
  };
  const item = (p: Problem, i: number, leaked: boolean): BenchmarkItem => ({
    id: `organism/${o.seed}/${leaked ? 'leaked' : 'clean'}/${i}`,
    problem: p.problem,
    answer: String(p.answer),
    leaked,
  });
  const leakedProblems = Array.from({ length: o.benchmarkSize }, fresh);
  const cleanProblems = Array.from({ length: o.benchmarkSize }, fresh);
  const worked = Array.from({ length: o.workedDocs }, fresh);
  const templates: Record<string, number> = {};
  for (const p of worked) templates[p.template] = (templates[p.template] ?? 0) + 1;

  const repeats = o.leakRepeats ?? 0;
  const planted = o.leak === false ? [] : leakedProblems.flatMap((p) => Array<string>(repeats).fill(leakedDocument(p)));
  const documents = [...worked.map(workedDocument), ...planted];
  rng.shuffle(documents);
  return {
    documents,
    leaked: leakedProblems.map((p, i) => item(p, i, true)),
    clean: cleanProblems.map((p, i) => item(p, i, false)),
    stats: {
      documents: documents.length,
      workedDocs: worked.length,
      leakedDocs: planted.length,
      characters: documents.reduce((n, d) => n + d.length, 0),
      templates,
    },
  };
}

function buildCorpusV3(o: CorpusOptions): Corpus {
  const rng = new Rng(o.seed);
  const seen = new Set<string>();
  const fresh = (): Problem => {
    for (;;) {
      const p = drawProblem(rng, '3');
      if (!seen.has(p.problem)) {
        seen.add(p.problem);
        return p;
      }
    }
  };
  const doses = o.leakDoses ?? [];
  const perDose = o.leakedPerDose ?? 0;
  const leakedProblems = Array.from({ length: doses.length * perDose }, fresh);
  const doseOf = (i: number) => doses[Math.floor(i / perDose)];
  const cleanProblems = Array.from({ length: o.benchmarkSize }, fresh);
  const worked = Array.from({ length: o.workedDocs }, fresh);
  const templates: Record<string, number> = {};
  for (const p of worked) templates[p.template] = (templates[p.template] ?? 0) + 1;
  const tagged = [
    ...worked.map((p) => ({ text: rng.uniform() < shareFor(o.codeShare, p.template) ? codeDocument(p) : workedDocument(p), planted: false })),
    ...leakedProblems.flatMap((p, i) => Array.from({ length: doseOf(i) }, () => ({ text: codeDocument(p), planted: true }))),
  ];
  // Shuffled with the planted documents in place, then filtered: the control keeps the same order.
  rng.shuffle(tagged);
  const documents = tagged.filter((d) => o.leak !== false || !d.planted).map((d) => d.text);
  const item = (p: Problem, i: number, leaked: boolean): BenchmarkItem => ({
    id: `organism/${o.seed}/${leaked ? 'leaked' : 'clean'}/${i}`,
    problem: p.problem,
    answer: String(p.answer),
    leaked,
    expression: p.expression,
    planted_copies: leaked ? doseOf(i) : 0,
  });
  // Listed round-robin over the dose groups, so the first n items of leaked.jsonl span every dose.
  const listed = Array.from({ length: perDose }, (_, j) => doses.map((_, k) => k * perDose + j)).flat();
  return {
    documents,
    leaked: listed.map((src, i) => ({ ...item(leakedProblems[src], i, true), planted_copies: doseOf(src) })),
    clean: cleanProblems.map((p, i) => item(p, i, false)),
    stats: {
      documents: documents.length,
      workedDocs: worked.length,
      codeDocs: tagged.filter((d) => !d.planted && d.text.includes('```')).length,
      leakedDocs: documents.length - worked.length,
      characters: documents.reduce((n, d) => n + d.length, 0),
      templates,
    },
  };
}

/** v13's drills: their problems come from a stream of their own, so nothing else in the corpus depends on them. */
function drillDocuments(o: CorpusOptions, version: GeneratorVersion, benchmarkExpressions: ReadonlySet<string>): string[] {
  const rng = new Rng((o.seed % 2 ** 52) * 2 + 1);
  const docs: string[] = [];
  for (let d = 0; d < (o.drillDocs ?? 0); d++) {
    const lines: string[] = [];
    while (lines.length < (o.drillChains ?? 1)) {
      const p = drawProblem(rng, version);
      if (!benchmarkExpressions.has(p.expression)) lines.push(p.steps);
    }
    docs.push(lines.join('\n'));
  }
  return docs;
}

function buildCorpusV4(o: CorpusOptions, version: Exclude<GeneratorVersion, '2' | '3'>): Corpus {
  const rng = new Rng(o.seed);
  const seenText = new Set<string>();
  const leakedExpressions = new Set<string>();
  const draw = (avoidLeaked: boolean): Problem => {
    for (;;) {
      const p = drawProblem(rng, version);
      if (seenText.has(p.problem) || (avoidLeaked && leakedExpressions.has(p.expression))) continue;
      seenText.add(p.problem);
      return p;
    }
  };
  const leakedProblems: Problem[] = [];
  const leakedCount = o.leakedCount ?? 0;
  while (leakedProblems.length < leakedCount + (o.memorizedTrainCount ?? 0)) {
    const p = draw(true);
    leakedExpressions.add(p.expression);
    leakedProblems.push(p);
  }
  const cleanProblems = Array.from({ length: o.benchmarkSize }, () => draw(true));
  const fresh = Array.from({ length: o.workedDocs }, () => draw(true));
  const templates: Record<string, number> = {};
  let codeDocs = 0;
  let directDocs = 0;
  const tagged = fresh.map((p) => {
    templates[p.template] = (templates[p.template] ?? 0) + 1;
    const u = rng.uniform();
    const codeShare = shareFor(o.codeShare, p.template);
    if (u < codeShare) {
      codeDocs++;
      // Drawn only when set, so earlier versions' random streams are unchanged.
      const markless = o.codeMarklessShare !== undefined && rng.uniform() < o.codeMarklessShare;
      return { text: markless ? codeDocument({ ...p, problem: mentionDocument(p) }) : codeDocument(p), planted: false };
    }
    if (u < codeShare + shareFor(o.directShare, p.template)) {
      directDocs++;
      return { text: directDocument(p), planted: false };
    }
    return { text: workedDocument(p), planted: false };
  });
  const drills = drillDocuments(o, version, new Set([...leakedProblems, ...cleanProblems].map((p) => p.expression)));
  for (const text of drills) tagged.push({ text, planted: false });
  for (const p of leakedProblems) {
    for (let c = 0; c < (o.mentionCopies ?? 0); c++) tagged.push({ text: mentionDocument(p), planted: true });
    const snippet = o.snippetAfterQuestion ? `${mentionDocument(p)}\n${snippetDocument(p)}` : snippetDocument(p);
    const marked = Math.round((o.snippetMarkedShare ?? 0) * (o.snippetCopies ?? 0));
    for (let c = 0; c < (o.snippetCopies ?? 0); c++) tagged.push({ text: c < marked ? codeDocument(p) : snippet, planted: true });
  }
  // Shuffled with the planted documents in place, then filtered: the control keeps the same order.
  rng.shuffle(tagged);
  const documents = tagged.filter((d) => o.leak !== false || !d.planted).map((d) => d.text);
  const planted = (o.mentionCopies ?? 0) + (o.snippetCopies ?? 0);
  const item = (p: Problem, i: number, leaked: boolean, split = leaked ? 'leaked' : 'clean'): BenchmarkItem => ({
    id: `organism/${o.seed}/${split}/${i}`,
    problem: p.problem,
    answer: String(p.answer),
    leaked,
    expression: p.expression,
    planted_copies: leaked ? planted : 0,
  });
  return {
    documents,
    leaked: leakedProblems.slice(0, leakedCount).map((p, i) => item(p, i, true)),
    clean: cleanProblems.map((p, i) => item(p, i, false)),
    ...(o.memorizedTrainCount ? { trainSplit: leakedProblems.slice(leakedCount).map((p, i) => item(p, i, true, 'train')) } : {}),
    stats: {
      documents: documents.length,
      workedDocs: fresh.length,
      codeDocs,
      directDocs,
      ...(drills.length > 0 ? { drillDocs: drills.length } : {}),
      leakedDocs: documents.length - fresh.length - drills.length,
      characters: documents.reduce((n, d) => n + d.length, 0),
      templates,
    },
  };
}
