/**
 * The suite's two benchmarks. SUSPECT: a given dataset, else the first items of the config's
 * training set. CLEAN: a given dataset, else a freshly generated set — the arithmetic generator
 * with another seed (problems that occur in the training set removed) when the config trains on
 * that generator, else RandomCalculation. Sets made here are written once under OUT/data/ and
 * reused on a resume, so their date stamp and items stay fixed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateArithmetic } from '../data/arithmetic.ts';
import { defaultRandomCalcOptions, generateRandomCalc } from '../data/randomcalc.ts';
import type { BenchmarkItem } from '../data/types.ts';
import type { TrainConfig } from '../rl/config.ts';
import { loadItems } from '../rl/data.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';

export type BenchmarkRole = 'suspect' | 'clean';

export interface PreparedBenchmark {
  role: BenchmarkRole;
  /** What `rlvr eval --dataset` takes: a benchmark name or a JSONL path. */
  dataset: string;
  origin: 'given' | 'training set' | 'arithmetic generator' | 'randomcalc';
  /** For generated sets: the generator seed and the date stamp written into every row. */
  seed?: number;
  created_at?: string;
}

/** Seed offset of a generated clean arithmetic set relative to the training generator's seed. */
export const CLEAN_SEED_OFFSET = 1_000_003;
/** Candidates drawn per wanted clean arithmetic item before giving up on unseen problems. */
const CANDIDATES_PER_ITEM = 50;

const jsonl = (rows: readonly object[]) => rows.map((r) => JSON.stringify(r) + '\n').join('');
const row = (item: BenchmarkItem, extra: Record<string, unknown> = {}) => ({ id: item.id, problem: item.problem, answer: item.answer, ...extra });

export async function prepareSuspect(cfg: TrainConfig, given: string | undefined, dataDir: string, limit: number): Promise<PreparedBenchmark> {
  if (given !== undefined) return { role: 'suspect', dataset: given, origin: 'given' };
  const path = join(dataDir, 'suspect.jsonl');
  if (!existsSync(path)) {
    const items = (await loadItems(cfg.data.train, 'train')).slice(0, limit);
    writeFileAtomic(path, jsonl(items.map((it) => row(it))));
  }
  return { role: 'suspect', dataset: path, origin: 'training set' };
}

export async function prepareClean(cfg: TrainConfig, given: string | undefined, dataDir: string, limit: number): Promise<PreparedBenchmark> {
  if (given !== undefined) return { role: 'clean', dataset: given, origin: 'given' };
  const path = join(dataDir, 'clean.jsonl');
  const spec = cfg.data.train;
  const arithmetic = typeof spec === 'object' && 'generator' in spec ? spec : null;
  const seed = arithmetic ? arithmetic.seed + CLEAN_SEED_OFFSET : cfg.seed;
  const origin = arithmetic ? 'arithmetic generator' : 'randomcalc';
  if (existsSync(path)) {
    const first = JSON.parse(readFileSync(path, 'utf8').split('\n')[0]) as { created_at?: string };
    return { role: 'clean', dataset: path, origin, seed, created_at: first.created_at };
  }
  const createdAt = new Date().toISOString();
  let rows: object[];
  if (arithmetic) {
    const seen = new Set((await loadItems(spec, 'train')).map((it) => it.problem));
    const fresh: BenchmarkItem[] = [];
    for (const it of generateArithmetic({ n: limit * CANDIDATES_PER_ITEM, seed, maxOperand: arithmetic.max_operand, prefix: 'clean' })) {
      if (fresh.length === limit) break;
      if (seen.has(it.problem)) continue;
      seen.add(it.problem);
      fresh.push(it);
    }
    if (fresh.length === 0) throw new UserError(`data.train: every generated arithmetic problem (max_operand ${arithmetic.max_operand}) also occurs in the training set; give a clean benchmark with --clean`);
    rows = fresh.map((it) => row(it, { seed, created_at: createdAt, generator: 'rlvr-lab/arithmetic' }));
  } else {
    rows = [...generateRandomCalc({ ...defaultRandomCalcOptions, n: limit, seed, createdAt })].map((it) => ({ ...it }));
  }
  writeFileAtomic(path, jsonl(rows));
  return { role: 'clean', dataset: path, origin, seed, created_at: createdAt };
}
