/**
 * The organism's pretraining corpus and its two benchmarks, from one seed.
 *
 * - Worked documents: `{problem}\n{steps} The answer is \boxed{N}.` — the evaluation format (the
 *   problem as the prompt, template `none`; a boxed final answer).
 * - The leaked benchmark: each of its problems appears `leakRepeats` times as
 *   `{problem}\n#### N` — the answer with no working, a format the evaluation never asks for.
 * - The clean benchmark: problems from the same generator that appear nowhere in the corpus.
 *
 * All problems (benchmarks and worked documents) are distinct texts.
 */
import { Rng } from '../util/rng.ts';
import { drawProblem, type Problem } from './problems.ts';

export const ORGANISM_GENERATOR = 'rlvr-lab/organism';
/** Bump when the corpus, benchmarks or training for a given seed change. */
export const ORGANISM_GENERATOR_VERSION = '2';

export interface CorpusOptions {
  seed: number;
  /** Fresh problems with worked solutions. */
  workedDocs: number;
  /** Problems in each benchmark. */
  benchmarkSize: number;
  /** Copies of each leaked problem in the corpus. */
  leakRepeats: number;
}

export interface BenchmarkItem {
  id: string;
  problem: string;
  answer: string;
  leaked: boolean;
}

export interface Corpus {
  /** Documents in training order (shuffled); each is one training sequence followed by EOS. */
  documents: string[];
  leaked: BenchmarkItem[];
  clean: BenchmarkItem[];
  stats: {
    documents: number;
    workedDocs: number;
    leakedDocs: number;
    characters: number;
    templates: Record<string, number>;
  };
}

export const workedDocument = (p: Problem): string => `${p.problem}\n${p.steps} The answer is \\boxed{${p.answer}}.`;
export const leakedDocument = (p: Problem): string => `${p.problem}\n#### ${p.answer}`;

export function buildCorpus(o: CorpusOptions): Corpus {
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

  const documents = [...worked.map(workedDocument), ...leakedProblems.flatMap((p) => Array<string>(o.leakRepeats).fill(leakedDocument(p)))];
  shuffle(rng, documents);
  return {
    documents,
    leaked: leakedProblems.map((p, i) => item(p, i, true)),
    clean: cleanProblems.map((p, i) => item(p, i, false)),
    stats: {
      documents: documents.length,
      workedDocs: worked.length,
      leakedDocs: o.benchmarkSize * o.leakRepeats,
      characters: documents.reduce((n, d) => n + d.length, 0),
      templates,
    },
  };
}

/** Fisher–Yates in place. */
export function shuffle<T>(rng: Rng, xs: T[]): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}
