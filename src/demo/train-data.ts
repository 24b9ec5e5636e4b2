/**
 * The spurious suite's training set: fresh problems from the organism's own generator (same
 * templates and phrasing), none of them a leaked or clean benchmark problem; for an organism with
 * a memorized training split (generator v10), that split interleaved with the fresh problems.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAuditDataset } from '../audit/dataset.ts';
import { TRAIN_SPLIT_FILE } from '../organism/build.ts';
import { drawProblem, type GeneratorVersion } from '../organism/problems.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { Rng } from '../util/rng.ts';

/** A row of a training set (and of a v10 organism's train-split.jsonl, whose problems the model memorized in pretraining). */
export interface TrainingProblem {
  id: string;
  problem: string;
  answer: string;
}

/**
 * Writes `path` once (a rerun reuses it) and returns it: `n` fresh problems, with the `memorized`
 * ones interleaved one for one ahead of the rest (the fresh draw avoids them and `exclude`).
 */
export function writeTrainingSet(path: string, n: number, seed: number, exclude: ReadonlySet<string>, version: GeneratorVersion, memorized: readonly TrainingProblem[] = []): string {
  if (existsSync(path)) return path;
  const rng = new Rng(seed);
  const seen = new Set([...exclude, ...memorized.map((m) => m.problem)]);
  const fresh: TrainingProblem[] = [];
  while (fresh.length < n) {
    const p = drawProblem(rng, version);
    if (seen.has(p.problem)) continue;
    seen.add(p.problem);
    fresh.push({ id: `demo-train/${fresh.length}`, problem: p.problem, answer: String(p.answer) });
  }
  const rows: TrainingProblem[] = [];
  for (let i = 0; i < Math.max(n, memorized.length); i++) {
    if (i < memorized.length) rows.push({ id: memorized[i].id, problem: memorized[i].problem, answer: memorized[i].answer });
    if (i < n) rows.push(fresh[i]);
  }
  writeFileAtomic(path, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  return path;
}

/** An organism directory's memorized training split (generator v10's train-split.jsonl); empty when it has none. */
export async function readTrainSplit(organismDir: string): Promise<TrainingProblem[]> {
  const path = join(organismDir, TRAIN_SPLIT_FILE);
  if (!existsSync(path)) return [];
  return (await loadAuditDataset(path)).items.map((it) => ({ id: it.id, problem: it.problem, answer: it.answer }));
}
