import { splitTopLevel } from './latex.ts';

/** One interval of the real line; endpoints are answer strings, infinite ends are null. */
export interface Interval {
  lo: string | null;
  loClosed: boolean;
  hi: string | null;
  hiClosed: boolean;
}

/** A relation's solution set in one variable, as a union of intervals. */
export interface SolutionSet {
  variable: string | null;
  intervals: Interval[];
}

const OPS = ['\\le', '\\ge', '\\ne', '<', '>'] as const;
type Op = (typeof OPS)[number];

/** Splits "a < x \le b" at top-level relation operators; null when there is none. */
export function splitRelation(s: string): { parts: string[]; ops: Op[] } | null {
  const parts: string[] = [];
  const ops: Op[] = [];
  let rest = s;
  for (;;) {
    let best: { at: number; op: Op } | null = null;
    for (const op of OPS) {
      const pieces = splitTopLevel(rest, op);
      if (pieces.length > 1) {
        const at = pieces[0].length;
        if (!best || at < best.at) best = { at, op };
      }
    }
    if (!best) break;
    parts.push(rest.slice(0, best.at).trim());
    ops.push(best.op);
    rest = rest.slice(best.at + best.op.length);
  }
  if (ops.length === 0) return null;
  parts.push(rest.trim());
  return parts.some((p) => p === '') ? null : { parts, ops };
}

const NAME = /^(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?$/;
const FLIP: Record<Op, Op> = { '\\le': '\\ge', '\\ge': '\\le', '<': '>', '>': '<', '\\ne': '\\ne' };

/** Reads `x op c` (the variable possibly negated, on either side) as a variable and a bound. */
function oneSided(l: string, op: Op, r: string): { v: string; op: Op; c: string } | null {
  const side = (s: string) => (NAME.test(s) ? { v: s, neg: false } : /^-\s*\S+$/.test(s) && NAME.test(s.slice(1).trim()) ? { v: s.slice(1).trim(), neg: true } : null);
  let v = side(l);
  let c = r;
  if (!v) {
    v = side(r);
    if (!v) return null;
    c = l;
    op = FLIP[op];
  }
  if (v.neg) return { v: v.v, op: FLIP[op], c: `-(${c})` };
  return { v: v.v, op, c };
}

function fromBound(op: Op, c: string): Interval[] {
  switch (op) {
    case '<':
      return [{ lo: null, loClosed: false, hi: c, hiClosed: false }];
    case '\\le':
      return [{ lo: null, loClosed: false, hi: c, hiClosed: true }];
    case '>':
      return [{ lo: c, loClosed: false, hi: null, hiClosed: false }];
    case '\\ge':
      return [{ lo: c, loClosed: true, hi: null, hiClosed: false }];
    case '\\ne':
      return [
        { lo: null, loClosed: false, hi: c, hiClosed: false },
        { lo: c, loClosed: false, hi: null, hiClosed: false },
      ];
  }
}

/** |x| op c, the bound on either side: |x| \le 3 is [-3, 3], |x| > 2 is (-inf, -2) U (2, inf). */
function absolute(l: string, op: Op, r: string): SolutionSet | null {
  const abs = (s: string) => /^\|\s*([^|]+?)\s*\|$/.exec(s.trim())?.[1];
  let v = abs(l);
  let c = r;
  if (!v) {
    v = abs(r);
    c = l;
    op = FLIP[op];
  }
  if (!v || !NAME.test(v) || op === '\\ne') return null;
  const closed = op === '\\le' || op === '\\ge';
  if (op === '<' || op === '\\le') return { variable: v, intervals: [{ lo: `-(${c})`, loClosed: closed, hi: c, hiClosed: closed }] };
  return {
    variable: v,
    intervals: [
      { lo: null, loClosed: false, hi: `-(${c})`, hiClosed: closed },
      { lo: c, loClosed: closed, hi: null, hiClosed: false },
    ],
  };
}

/** Solution set of one relation: `x > 2`, `3 \le y`, `-y > -3`, `|x| \le 3`, `-1 \le t < 4`, `x \ne 3`. */
export function relationSet(rel: { parts: string[]; ops: Op[] }): SolutionSet | null {
  const { parts, ops } = rel;
  if (ops.length === 1 && (parts[0].includes('|') || parts[1].includes('|'))) return absolute(parts[0], ops[0], parts[1]);
  if (ops.length === 1) {
    const b = oneSided(parts[0], ops[0], parts[1]);
    return b && { variable: b.v, intervals: fromBound(b.op, b.c) };
  }
  if (ops.length === 2 && NAME.test(parts[1])) {
    const up = ops.every((o) => o === '<' || o === '\\le');
    const down = ops.every((o) => o === '>' || o === '\\ge');
    if (!up && !down) return null;
    const [lo, hi] = up ? [parts[0], parts[2]] : [parts[2], parts[0]];
    const [loOp, hiOp] = up ? [ops[0], ops[1]] : [ops[1], ops[0]];
    return { variable: parts[1], intervals: [{ lo, loClosed: loOp !== '<' && loOp !== '>', hi, hiClosed: hiOp !== '<' && hiOp !== '>' }] };
  }
  return null;
}

const INF = /^\+?\\infty$/;
const NEG_INF = /^-\s*\\infty$/;

/** An interval written with brackets, `[3, \infty)`, as a solution set; null for other tuples. */
export function intervalSet(open: string, close: string, items: string[]): Interval | null {
  if (items.length !== 2 || !'(['.includes(open) || !')]'.includes(close)) return null;
  const lo = NEG_INF.test(items[0].trim()) ? null : items[0].trim();
  const hi = INF.test(items[1].trim()) ? null : items[1].trim();
  return { lo, loClosed: open === '[' && lo !== null, hi, hiClosed: close === ']' && hi !== null };
}
