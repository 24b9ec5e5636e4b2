/**
 * Grading a response's SET of solutions against the task's full solution set.
 *
 * Parsing (documented in docs/parts/exploration.md):
 * - The answer region is the last <answer>…</answer> block (an unclosed last <answer> runs to the
 *   end), else the whole response.
 * - Items: when the region holds bracketed groups ([…], {…}, (…)), each group is one item;
 *   otherwise items are separated by newlines and semicolons, and for permutations and grid paths
 *   also by commas (subsets keep commas inside an item: "1, 4").
 * - A leading list marker ("1.", "2)", "-", "*", "•") is dropped; empty items are ignored.
 * - Within an item, case, spaces, hyphens, commas and arrows do not matter: "a-a-b", "A A B" and
 *   "AAB" are the same arrangement; grid moves may be spelled right/down; a subset is its numbers
 *   in any order.
 */
import type { Verify } from '../rewards/types.ts';
import { parseSpec, type ExplorationSpec, solutions, subsetKey, walkGrid } from './tasks.ts';

export interface SetGrade {
  /** Items the response lists (duplicates included). */
  listed: number;
  /** Items repeating an earlier item (after normalization). */
  duplicates: number;
  /** Distinct listed items that are solutions. */
  found: number;
  /** Distinct listed items that are not solutions (wrong items, boundary violations). */
  invalid: number;
  /** Size of the full solution set. */
  total: number;
  /** found / (found + invalid): 0 when nothing is listed. */
  validRatio: number;
  /** found / total. */
  completeness: number;
  /** Every solution, nothing else, nothing twice. */
  exact: boolean;
  /** The distinct invalid items with the reason each fails (first 10). */
  invalidItems: Array<{ item: string; why: string }>;
  /** The distinct items in canonical form, sorted (a vote key for cons@k). */
  canonical: string[];
}

export function answerRegion(response: string): string {
  const closed = [...response.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
  if (closed.length) return closed[closed.length - 1][1];
  const open = response.lastIndexOf('<answer>');
  return open >= 0 ? response.slice(open + '<answer>'.length) : response;
}

export function splitItems(region: string, commasSeparate: boolean): string[] {
  const groups = [...region.matchAll(/\[([^[\]]*)\]|\{([^{}]*)\}|\(([^()]*)\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  const pieces = groups.length ? groups : region.split(commasSeparate ? /[\n;,]/ : /[\n;]/);
  return pieces.map((p) => p.trim().replace(/^(?:\d+[.)]|[-*•])\s+/, '').trim()).filter((p) => p !== '');
}

type Normalized = { key: string } | { key: string; why: string };

function normalize(spec: ExplorationSpec, raw: string): Normalized {
  switch (spec.exploration) {
    case 'permutations': {
      const key = raw.toUpperCase().replace(/[\s,\-–>→'"`]+/g, '');
      if (!/^[A-Z]+$/.test(key)) return { key, why: 'not a string of letters' };
      return { key };
    }
    case 'subsets': {
      const body = raw.replace(/=\s*-?\d+\s*$/, ''); // "1 + 4 = 5" lists 1 and 4
      const nums = body.match(/-?\d+(?:\.\d+)?/g)?.map(Number) ?? [];
      const rest = body.replace(/-?\d+(?:\.\d+)?/g, '').replace(/[\s,+&]|and/g, '');
      if (nums.length === 0 || rest !== '' && rest !== '∅') return { key: raw.replace(/\s+/g, ' '), why: 'not a list of numbers' };
      return { key: subsetKey(nums) };
    }
    case 'grid-path': {
      const key = raw
        .toUpperCase()
        .replace(/RIGHT/g, 'R')
        .replace(/DOWN/g, 'D')
        .replace(/[\s,\-–>→'"`]+/g, '');
      return { key };
    }
  }
}

/** Why a normalized item is not a solution. */
function whyInvalid(spec: ExplorationSpec, key: string): string {
  switch (spec.exploration) {
    case 'permutations': {
      const sorted = [...key].sort().join('');
      return sorted === spec.letters ? 'not a solution' : `uses the letters ${sorted}, not ${spec.letters}`;
    }
    case 'subsets': {
      const nums = key.split(' ').map(Number);
      const outside = nums.filter((x) => !spec.numbers.includes(x));
      if (outside.length) return `uses ${outside.join(', ')}, not in the set`;
      if (new Set(nums).size !== nums.length) return 'uses a number twice';
      return `sums to ${nums.reduce((a, b) => a + b, 0)}, not ${spec.target}`;
    }
    case 'grid-path': {
      const walk = walkGrid(spec.grid, key);
      return walk.ok ? 'not a solution' : walk.why;
    }
  }
}

const solutionCache = new Map<string, Set<string>>();

function solutionSet(spec: ExplorationSpec): Set<string> {
  const key = JSON.stringify(spec);
  let set = solutionCache.get(key);
  if (!set) {
    if (solutionCache.size > 10_000) solutionCache.clear();
    set = new Set(solutions(spec));
    solutionCache.set(key, set);
  }
  return set;
}

export function gradeSet(spec: ExplorationSpec, response: string): SetGrade {
  const all = solutionSet(spec);
  const items = splitItems(answerRegion(response), spec.exploration !== 'subsets');
  const seen = new Set<string>();
  let duplicates = 0;
  let found = 0;
  const invalidItems: SetGrade['invalidItems'] = [];
  let invalid = 0;
  for (const raw of items) {
    const n = normalize(spec, raw);
    if (seen.has(n.key)) {
      duplicates++;
      continue;
    }
    seen.add(n.key);
    if (!('why' in n) && all.has(n.key)) {
      found++;
      continue;
    }
    invalid++;
    if (invalidItems.length < 10) invalidItems.push({ item: raw, why: 'why' in n ? n.why : whyInvalid(spec, n.key) });
  }
  return {
    listed: items.length,
    duplicates,
    found,
    invalid,
    total: all.size,
    validRatio: found + invalid === 0 ? 0 : found / (found + invalid),
    completeness: found / all.size,
    exact: found === all.size && invalid === 0 && duplicates === 0,
    invalidItems,
    canonical: [...seen].sort(),
  };
}

/**
 * The answer-level reward: `exact` is 1 for the complete set with nothing wrong or repeated;
 * `f1` is the harmonic mean of precision (found / listed, so duplicates and wrong items cost)
 * and completeness.
 */
export function setReward(grade: SetGrade, mode: 'exact' | 'f1'): number {
  if (mode === 'exact') return grade.exact ? 1 : 0;
  const precision = grade.listed ? grade.found / grade.listed : 0;
  const recall = grade.completeness;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/** A verdict in the shape the evaluation runner records, for exploration golds (null otherwise). */
export function explorationVerdict(gold: string, response: string): { extracted: string | null; correct: boolean; reason: string } | null {
  const spec = parseSpec(gold);
  if (!spec) return null;
  const g = gradeSet(spec, response);
  return {
    extracted: g.listed ? g.canonical.join('; ') : null,
    correct: g.exact,
    reason: `found ${g.found}/${g.total}, ${g.invalid} invalid, ${g.duplicates} duplicate${g.duplicates === 1 ? '' : 's'}`,
  };
}

/** A verifier that grades exploration golds as sets and passes every other gold to `verify`. */
export function withExploration(verify: Verify): Verify {
  return async (gold, pred, options) => explorationVerdict(gold, pred) ?? verify(gold, pred, options);
}
