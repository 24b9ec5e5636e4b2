/**
 * Systematic-exploration tasks: problems whose full solution set is known and grows
 * combinatorially with a size parameter. The gold answer of an item is its spec (JSON with an
 * `exploration` field naming the task), so a verifier can rebuild the solution set from the gold
 * alone: in `rlvr eval`, in the GRPO `exploration` reward, anywhere a gold string travels.
 *
 * - permutations: all distinct arrangements of a multiset of letters (size = letters).
 * - subsets: all subsets of distinct positive integers with a given sum (size = numbers).
 * - grid-path: all monotone (right/down) paths from the top-left to the bottom-right corner of
 *   an n×n grid with walls (size = n).
 */
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

export const EXPLORATION_TASKS = ['permutations', 'subsets', 'grid-path'] as const;
export type ExplorationTask = (typeof EXPLORATION_TASKS)[number];

export type ExplorationSpec =
  | { exploration: 'permutations'; letters: string }
  | { exploration: 'subsets'; numbers: number[]; target: number }
  | { exploration: 'grid-path'; grid: string[] };

export const GENERATOR_VERSION = '1';

/** The size parameter of a spec (what success is fitted against). */
export function specSize(spec: ExplorationSpec): number {
  switch (spec.exploration) {
    case 'permutations':
      return spec.letters.length;
    case 'subsets':
      return spec.numbers.length;
    case 'grid-path':
      return spec.grid.length;
  }
}

/** The spec in a gold answer, or null when the gold is not an exploration spec. */
export function parseSpec(gold: string): ExplorationSpec | null {
  if (!gold.startsWith('{"exploration"')) return null;
  let v: unknown;
  try {
    v = JSON.parse(gold);
  } catch {
    return null;
  }
  const o = v as Record<string, unknown>;
  if (o.exploration === 'permutations' && typeof o.letters === 'string' && /^[A-Z]+$/.test(o.letters)) return { exploration: 'permutations', letters: o.letters };
  if (o.exploration === 'subsets' && Array.isArray(o.numbers) && o.numbers.every((x) => Number.isInteger(x) && x > 0) && Number.isInteger(o.target)) {
    return { exploration: 'subsets', numbers: o.numbers as number[], target: o.target as number };
  }
  if (o.exploration === 'grid-path' && Array.isArray(o.grid)) {
    const grid = o.grid as unknown[];
    if (grid.length > 0 && grid.every((r) => typeof r === 'string' && /^[.#]+$/.test(r) && r.length === grid.length)) return { exploration: 'grid-path', grid: grid as string[] };
  }
  return null;
}

/** Every solution in canonical form (sorted). */
export function solutions(spec: ExplorationSpec): string[] {
  switch (spec.exploration) {
    case 'permutations':
      return distinctPermutations(spec.letters);
    case 'subsets':
      return subsetSums(spec.numbers, spec.target);
    case 'grid-path':
      return gridPaths(spec.grid);
  }
}

function distinctPermutations(letters: string): string[] {
  const counts = new Map<string, number>();
  for (const c of letters) counts.set(c, (counts.get(c) ?? 0) + 1);
  const keys = [...counts.keys()].sort();
  const out: string[] = [];
  const walk = (prefix: string) => {
    if (prefix.length === letters.length) return void out.push(prefix);
    for (const k of keys) {
      const c = counts.get(k)!;
      if (c === 0) continue;
      counts.set(k, c - 1);
      walk(prefix + k);
      counts.set(k, c);
    }
  };
  walk('');
  return out;
}

/** Canonical subset: its numbers ascending, joined by spaces. */
export const subsetKey = (xs: readonly number[]): string => [...xs].sort((a, b) => a - b).join(' ');

function subsetSums(numbers: readonly number[], target: number): string[] {
  const out: string[] = [];
  for (let mask = 1; mask < 1 << numbers.length; mask++) {
    const chosen = numbers.filter((_, i) => mask & (1 << i));
    if (chosen.reduce((a, b) => a + b, 0) === target) out.push(subsetKey(chosen));
  }
  return out.sort();
}

/** Where a move string leads, or why it is not a path (off the grid, into a wall, not at the goal). */
export function walkGrid(grid: readonly string[], moves: string): { ok: true } | { ok: false; why: string } {
  const n = grid.length;
  let r = 0;
  let c = 0;
  for (const [i, m] of [...moves].entries()) {
    if (m === 'R') c++;
    else if (m === 'D') r++;
    else return { ok: false, why: `move ${i + 1} '${m}' is not R or D` };
    if (r >= n || c >= n) return { ok: false, why: `move ${i + 1} leaves the grid` };
    if (grid[r][c] === '#') return { ok: false, why: `move ${i + 1} enters the wall at row ${r + 1}, column ${c + 1}` };
  }
  if (r !== n - 1 || c !== n - 1) return { ok: false, why: `ends at row ${r + 1}, column ${c + 1}, not at the goal` };
  return { ok: true };
}

function gridPaths(grid: readonly string[]): string[] {
  const n = grid.length;
  const out: string[] = [];
  const walk = (r: number, c: number, path: string) => {
    if (r >= n || c >= n || grid[r][c] === '#') return;
    if (r === n - 1 && c === n - 1) return void out.push(path);
    walk(r, c + 1, path + 'R');
    walk(r + 1, c, path + 'D');
  };
  walk(0, 0, '');
  return out.sort();
}

const LETTERS = 'ABCDEFGH';

/** The problem text shown to the model. */
export function problemText(spec: ExplorationSpec): string {
  const format = 'Write each one on its own line inside <answer></answer>.';
  switch (spec.exploration) {
    case 'permutations':
      return `List every distinct arrangement of the letters ${[...spec.letters].join(', ')} (use each letter exactly as often as it is listed). Write each arrangement as a string of letters. ${format}`;
    case 'subsets':
      return `List every subset of the numbers ${spec.numbers.join(', ')} whose sum is ${spec.target} (each number used at most once). Write each subset as its numbers separated by spaces. ${format}`;
    case 'grid-path':
      return `In this grid, S is the start, E the goal and # a wall:\n${renderGrid(spec.grid)}\nList every path from S to E that moves only right (R) or down (D) and never enters a wall. Write each path as a string of R and D. ${format}`;
  }
}

function renderGrid(grid: readonly string[]): string {
  const n = grid.length;
  return grid.map((row, r) => [...row].map((ch, c) => (r === 0 && c === 0 ? 'S' : r === n - 1 && c === n - 1 ? 'E' : ch)).join('')).join('\n');
}

export interface ExplorationGenOptions {
  task: ExplorationTask;
  n: number;
  seed: number;
  minSize: number;
  maxSize: number;
  /** grid-path: share of cells that are walls; default 0.2. */
  wallDensity?: number;
}

/** Sizes each task supports: beyond these the solution sets get too large to list. */
export const SIZE_LIMITS: Record<ExplorationTask, [number, number]> = { permutations: [1, 8], subsets: [1, 16], 'grid-path': [2, 8] };

function drawSpec(task: ExplorationTask, size: number, rng: Rng, wallDensity: number): ExplorationSpec {
  switch (task) {
    case 'permutations': {
      const alphabet = Math.max(2, Math.ceil(size / 2));
      const letters = Array.from({ length: size }, () => LETTERS[rng.int(alphabet)]).sort().join('');
      return { exploration: 'permutations', letters };
    }
    case 'subsets': {
      const pool = Array.from({ length: 3 * size }, (_, i) => i + 1);
      rng.shuffle(pool);
      const numbers = pool.slice(0, size).sort((a, b) => a - b);
      // the target is the sum of a random non-empty subset, so at least one solution exists
      let mask = 0;
      while (mask === 0) mask = rng.int(1 << size);
      const target = numbers.filter((_, i) => mask & (1 << i)).reduce((a, b) => a + b, 0);
      return { exploration: 'subsets', numbers, target };
    }
    case 'grid-path': {
      for (;;) {
        const grid = Array.from({ length: size }, (_, r) =>
          Array.from({ length: size }, (_, c) => ((r === 0 && c === 0) || (r === size - 1 && c === size - 1) ? '.' : rng.uniform() < wallDensity ? '#' : '.')).join(''),
        );
        const spec: ExplorationSpec = { exploration: 'grid-path', grid };
        if (gridPaths(grid).length > 0) return spec;
      }
    }
  }
}

export interface ExplorationItem {
  id: string;
  problem: string;
  answer: string;
  task: ExplorationTask;
  size: number;
  solutions: number;
  seed: number;
  generator: string;
  generator_version: string;
}

/** `n` items with sizes cycling through [minSize, maxSize]; the same options give the same items. */
export function generateExploration(opts: ExplorationGenOptions): ExplorationItem[] {
  const [lo, hi] = SIZE_LIMITS[opts.task];
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new UserError(`--n must be a positive integer, got ${opts.n}`);
  if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new UserError(`--seed must be a non-negative integer, got ${opts.seed}`);
  for (const [flag, v] of [['--min-size', opts.minSize], ['--max-size', opts.maxSize]] as const) {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new UserError(`${flag} must be an integer in [${lo}, ${hi}] for ${opts.task}, got ${v}`);
  }
  if (opts.minSize > opts.maxSize) throw new UserError(`--min-size ${opts.minSize} is above --max-size ${opts.maxSize}`);
  const wallDensity = opts.wallDensity ?? 0.2;
  if (!(wallDensity >= 0 && wallDensity < 1)) throw new UserError(`--wall-density must be in [0, 1), got ${wallDensity}`);
  const rng = new Rng(opts.seed);
  const span = opts.maxSize - opts.minSize + 1;
  return Array.from({ length: opts.n }, (_, i) => {
    const size = opts.minSize + (i % span);
    const spec = drawSpec(opts.task, size, rng, wallDensity);
    return {
      id: `${opts.task}/${opts.seed}/${i}`,
      problem: problemText(spec),
      answer: JSON.stringify(spec),
      task: opts.task,
      size,
      solutions: solutions(spec).length,
      seed: opts.seed,
      generator: `rlvr-lab/exploration-${opts.task}`,
      generator_version: GENERATOR_VERSION,
    };
  });
}
