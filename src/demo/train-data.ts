/**
 * The spurious suite's training set: fresh problems from the organism's own generator (same
 * templates and phrasing), none of them a leaked or clean benchmark problem.
 */
import { existsSync } from 'node:fs';
import { drawProblem, type GeneratorVersion } from '../organism/problems.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { Rng } from '../util/rng.ts';

/** Writes `path` once (a rerun reuses it) and returns it. */
export function writeTrainingSet(path: string, n: number, seed: number, exclude: ReadonlySet<string>, version: GeneratorVersion): string {
  if (existsSync(path)) return path;
  const rng = new Rng(seed);
  const seen = new Set(exclude);
  const rows: string[] = [];
  while (rows.length < n) {
    const p = drawProblem(rng, version);
    if (seen.has(p.problem)) continue;
    seen.add(p.problem);
    rows.push(JSON.stringify({ id: `demo-train/${rows.length}`, problem: p.problem, answer: String(p.answer) }) + '\n');
  }
  writeFileAtomic(path, rows.join(''));
  return path;
}
