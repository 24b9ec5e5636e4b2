import { evalExact, evalFloat, type Complex, type Exact } from './evaluate.ts';
import { hasDecimal, parseExpression, ParseError, someNode, variables, type Node } from './parse.ts';
import * as Q from './rational.ts';
import { evaluateMatrixExpression } from './matrix.ts';
import { intervalSet, relationSet, type Interval, type SolutionSet } from './relation.ts';
import { parseAnswer, type Answer } from './structure.ts';
import { casEvaluate, casHazard, casParse, casProvesEqual, type CasExpr } from './symbolic.ts';

export interface CompareOptions {
  /** Relative tolerance applied when an approximate (decimal) number is involved. */
  relTol: number;
  /** Random points for numeric identity checks of expressions with variables. */
  points: number;
  /** Use the CAS (compute-engine) for symbolic proofs and for LaTeX the fast parser rejects. */
  cas: boolean;
}

export const DEFAULT_COMPARE: CompareOptions = { relTol: 1e-4, points: 6, cas: true };

export interface Verdict {
  equal: boolean;
  reason: string;
}

const yes = (reason: string): Verdict => ({ equal: true, reason });
const no = (reason: string): Verdict => ({ equal: false, reason });

/** Tolerance for two evaluations of exact forms that should agree up to float rounding. */
const TIGHT_TOL = 1e-9;
const CROSS_CHECK_TOL = 1e-6;
/** A correctly rounded decimal with this many significant digits is accepted (2√2 = 2.828). */
const MIN_SIG_DIGITS = 4;

function close(a: Complex, b: Complex, tol: number): boolean {
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  const diff = Math.hypot(a.re - b.re, a.im - b.im);
  return diff <= tol * scale;
}

const finite = (c: Complex) => Number.isFinite(c.re) && Number.isFinite(c.im);

interface Point {
  float: Map<string, number>;
  exact: Map<string, Q.Rational>;
}

/**
 * Deterministic points so that a verdict never changes between runs: rationals k/1000, half of
 * them negative so that |x| vs x or sqrt(x^2) vs x are told apart. Expressions with floor or
 * ceiling also get integers (0 and multiples of every small number: 720720 = lcm(1..16), 7207200)
 * and points just beside them, where such functions jump.
 */
function samplePoints(vars: string[], count: number, steps = false): Point[] {
  let state = 0x9e3779b9;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const values: Q.Rational[][] = Array.from({ length: count }, (_, i) =>
    vars.map(() => Q.rat(BigInt((i % 2 ? -1 : 1) * (200 + Math.floor(2800 * next()))), 1000n)!),
  );
  if (steps) {
    const special: Array<[bigint, bigint]> = [[0n, 1n], [720720n, 1n], [-7207200n, 1n], [7207199999n, 1000n], [-72071999999n, 10000n], [1n, 2n], [-5n, 2n]];
    for (const [n, d] of special) values.push(vars.map(() => Q.rat(n, d)!));
  }
  return values.map((vs) => ({
    float: new Map(vars.map((v, k) => [v, Q.toNumber(vs[k])])),
    exact: new Map(vars.map((v, k) => [v, vs[k]])),
  }));
}

function hasSteps(n: Node): boolean {
  return someNode(n, (x) => x.t === 'fn' && (x.name === 'floor' || x.name === 'ceil'));
}

const showPoint = (p: Point) => [...p.float].map(([k, v]) => `${k}=${+v.toFixed(4)}`).join(', ');

function tryParse(text: string): Node | null {
  try {
    return parseExpression(text);
  } catch (err) {
    if (err instanceof ParseError || err instanceof RangeError) return null;
    throw err;
  }
}

function sameVars(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((v) => b.has(v));
}

/** Relative size below which a difference is float rounding noise in any reasonable answer. */
const NOISE = 1e-14;

/**
 * Compares two functions at sample points; both undefined at a point skips it. `exact` gives
 * exact values where it can (rational functions, floor, ceiling at rational points): those
 * decide on their own, so x and x + 10^{-10} differ. Float values must agree within `tol`,
 * and a difference that is above rounding noise at every point with one sign is systematic
 * (sin x vs sin x + 10^{-11}), not rounding, so it is not equal either.
 */
function numericIdentity(
  f: (p: Point) => Complex,
  g: (p: Point) => Complex,
  points: Point[],
  tol: number,
  exact?: (p: Point) => [Exact | null, Exact | null],
): Verdict {
  let checked = 0;
  let exactChecked = 0;
  let systematic = 0;
  let sign = 0;
  for (const point of points) {
    const [ea, eb] = exact?.(point) ?? [null, null];
    if (ea && eb) {
      if (!Q.eq(ea.re, eb.re) || !Q.eq(ea.im, eb.im)) return no(`values differ at ${showPoint(point)} (exact)`);
      checked++;
      exactChecked++;
      continue;
    }
    const a = f(point);
    const b = g(point);
    const fa = finite(a);
    const fb = finite(b);
    if (!fa && !fb) continue;
    if (fa !== fb || !close(a, b, tol)) return no(`values differ at ${showPoint(point)}`);
    const diff = a.re - b.re || a.im - b.im;
    const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
    if (Math.abs(diff) > NOISE * scale && (sign === 0 || Math.sign(diff) === sign)) systematic++;
    sign ||= Math.sign(diff);
    checked++;
  }
  const floatChecked = checked - exactChecked;
  if (floatChecked >= 3 && systematic === floatChecked) return no(`values differ by a small systematic amount (${floatChecked} points)`);
  if (checked < Math.min(3, points.length)) return no('could not evaluate at enough points');
  return yes(exactChecked === checked ? `exactly equal at ${checked} rational points` : `numerically identical at ${checked} points`);
}

/** Below this magnitude a double may be an underflowed value: it cannot stand for an exact one. */
const FLOAT_FLOOR = 1e-290;
/** A decimal reference is exact: both sides rounded to this many places must agree (as math-verify does)... */
const DECIMAL_PLACES = 6;
/** ...and agree relatively, so that tiny references (6.72e-5 vs 6.73e-5) are not all equal. */
const DECIMAL_REL_TOL = 1e-5;

/** Whether a power or exponential inside the tree underflows doubles (e^{-1000} evaluates to 0). */
function underflows(n: Node): boolean {
  return someNode(n, (x) => {
    if (x.t === 'fn' && x.name === 'exp') {
      const v = evalFloat(x, new Map());
      return Math.hypot(v.re, v.im) < FLOAT_FLOOR;
    }
    if (x.t !== 'pow') return false;
    const base = evalFloat(x.a, new Map());
    const v = evalFloat(x, new Map());
    return Math.hypot(base.re, base.im) !== 0 && Math.hypot(v.re, v.im) < FLOAT_FLOOR;
  });
}

function sameAtPlaces(ge: Exact | null, pe: Exact | null, gv: Complex, pv: Complex): boolean {
  if (ge && pe) {
    return Q.roundToPlaces(ge.re, DECIMAL_PLACES) === Q.roundToPlaces(pe.re, DECIMAL_PLACES) && Q.roundToPlaces(ge.im, DECIMAL_PLACES) === Q.roundToPlaces(pe.im, DECIMAL_PLACES);
  }
  const r = (x: number) => Math.round(x * 10 ** DECIMAL_PLACES);
  return r(gv.re) === r(pv.re) && r(gv.im) === r(pv.im);
}

function compareConstants(ga: Node, pa: Node, opts: CompareOptions): Verdict {
  const ge = evalExact(ga);
  const pe = evalExact(pa);
  const approx = hasDecimal(ga) || hasDecimal(pa);
  if (ge && pe) {
    if (Q.eq(ge.re, pe.re) && Q.eq(ge.im, pe.im)) return yes('exactly equal');
    if (!approx) return no(`exact values differ: ${Q.ratToString(ge.re)} vs ${Q.ratToString(pe.re)}`);
    // An exact integer reference stays exact: 27 is not 27.001.
    if (!hasDecimal(ga) && Q.isZero(ge.im) && Q.isInteger(ge.re)) return no('integer reference, approximate prediction differs');
  }
  const gv = evalFloat(ga, new Map());
  const pv = evalFloat(pa, new Map());
  if (!finite(gv) || !finite(pv)) {
    const bothInf = ga.t === pa.t && isInfinity(ga) && isInfinity(pa);
    return bothInf ? yes('same infinity') : no('value overflows or is undefined');
  }
  // e^{-1000} is 0 in doubles: a float that small says nothing about an exact value.
  if ((!ge && underflows(ga)) || (!pe && underflows(pa))) return no('value below the floating-point range, cannot be compared');
  if (gv.re === 0 && gv.im === 0 && (pv.re !== 0 || pv.im !== 0)) return no('reference is zero, prediction is not');
  if (!approx) return close(gv, pv, TIGHT_TOL) ? yes('numerically equal closed forms') : no(`values differ: ${fmt(gv)} vs ${fmt(pv)}`);
  // A decimal inside a function or sum (\ln 3.0001) is an input, not a rounded answer: no tolerance.
  const inner = (n: Node) => hasDecimal(n) && !scientific(n);
  if (inner(ga) || inner(pa)) return close(gv, pv, TIGHT_TOL) ? yes('numerically equal') : no(`values differ: ${fmt(gv)} vs ${fmt(pv)}`);
  // A decimal reference, or one with a finite decimal form (5/4), is an exact value: a less or
  // more precise decimal is a different answer.
  if (hasDecimal(ga) || (ge && Q.finiteDecimal(ge.re) && Q.finiteDecimal(ge.im))) {
    return sameAtPlaces(ge, pe, gv, pv) && close(gv, pv, DECIMAL_REL_TOL)
      ? yes(`equal to ${DECIMAL_PLACES} decimal places`)
      : no(`decimal reference, values differ: ${fmt(gv)} vs ${fmt(pv)}`);
  }
  // A reference without a finite decimal form (1/3, pi, sqrt 2): a bare decimal must be it
  // correctly rounded to the digits it shows, and either within the relative tolerance or
  // showing at least MIN_SIG_DIGITS significant digits.
  const literals = [decimalLiteral(ga), decimalLiteral(pa)].filter((n) => n !== null);
  const places = Math.min(...literals.map((n) => n.places));
  const rounded = literals.length === 0 || Math.hypot(gv.re - pv.re, gv.im - pv.im) <= 0.5 * 10 ** -places * (1 + 1e-9);
  if (!rounded) return no(`decimal is not the value rounded to its ${places} places`);
  if (close(gv, pv, opts.relTol)) return yes(`equal within relative tolerance ${opts.relTol}`);
  return literals.some((n) => n.sig >= MIN_SIG_DIGITS)
    ? yes(`correctly rounded to ${MIN_SIG_DIGITS}+ significant digits`)
    : no(`values differ beyond relative tolerance ${opts.relTol}: ${fmt(gv)} vs ${fmt(pv)}`);
}

/** A decimal literal, or one times a power of ten (6.72\\times10^{-5}): a rounded value as a whole. */
function scientific(n: Node): boolean {
  if (n.t === 'neg') return scientific(n.a);
  if (n.t === 'num') return true;
  const power = (m: Node) => m.t === 'pow' && m.a.t === 'num' && !m.a.decimal && m.a.v.n === 10n && m.a.v.d === 1n && !hasDecimal(m.b);
  return n.t === 'mul' && ((n.a.t === 'num' && power(n.b)) || (n.b.t === 'num' && power(n.a)));
}

function decimalLiteral(n: Node): { places: number; sig: number } | null {
  if (n.t === 'neg') return decimalLiteral(n.a);
  return n.t === 'num' && n.decimal ? n : null;
}

const isInfinity = (n: Node): boolean => (n.t === 'const' && n.name === 'inf') || (n.t === 'neg' && isInfinity(n.a));
const fmt = (c: Complex) => (c.im === 0 ? `${c.re}` : `${c.re}+${c.im}i`);

function casCompare(gold: string, pred: string, opts: CompareOptions): Verdict {
  if (!opts.cas) return no('not parseable by the fast parser (CAS disabled)');
  const hazard = casHazard(gold) ?? casHazard(pred);
  if (hazard) return no(`refused: ${hazard}`);
  const a = casParse(gold);
  const b = casParse(pred);
  if (!a || !b) return no(`unparseable ${a ? 'prediction' : 'reference'}`);
  return casCross(a, b, opts, 'CAS');
}

function casCross(a: CasExpr, b: CasExpr, opts: CompareOptions, label: string): Verdict {
  const vars = new Set([...a.unknowns]);
  if (!sameVars(vars, new Set(b.unknowns))) return no(`different variables: {${a.unknowns}} vs {${b.unknowns}}`);
  const proved = casProvesEqual(a, b);
  const numeric = numericIdentity(
    (p) => casEvaluate(a, p.float),
    (p) => casEvaluate(b, p.float),
    samplePoints([...vars], proved ? opts.points : 2 * opts.points),
    TIGHT_TOL,
  );
  if (!numeric.equal) return no(`${label}: ${proved ? 'symbolic proof contradicted numerically, ' : ''}${numeric.reason}`);
  return yes(proved ? `${label}: symbolically equal, ${numeric.reason}` : `${label}: ${numeric.reason} (no symbolic proof)`);
}

/** Equality of two scalar expressions given as normalized strings. */
export function compareScalars(gold: string, pred: string, opts: CompareOptions): Verdict {
  if (squash(gold) === squash(pred)) return yes('identical');
  const ga = tryParse(gold);
  const pa = tryParse(pred);
  if (!ga || !pa) return casCompare(gold, pred, opts);
  const gvars = variables(ga);
  const pvars = variables(pa);
  if (!sameVars(gvars, pvars)) return no(`different variables: {${[...gvars]}} vs {${[...pvars]}}`);
  if (gvars.size === 0) return compareConstants(ga, pa, opts);
  const tol = hasDecimal(ga) || hasDecimal(pa) ? opts.relTol : TIGHT_TOL;
  const points = samplePoints([...gvars], 2 * opts.points, hasSteps(ga) || hasSteps(pa));
  const f = (p: Point) => evalFloat(ga, p.float);
  const g = (p: Point) => evalFloat(pa, p.float);
  const exact = (p: Point): [Exact | null, Exact | null] => [evalExact(ga, p.exact), evalExact(pa, p.exact)];
  // Exact values at rational points decide rational functions (and floor/ceiling) outright;
  // agreement of floats within the tight tolerance decides the rest.
  const numeric = numericIdentity(f, g, points, tol, exact);
  if (numeric.equal || numeric.reason.endsWith('(exact)')) return numeric;
  // Floats that agree only loosely may be cancellation in a true identity: a symbolic proof by
  // the CAS, with the loose cross-check, settles it.
  if (!opts.cas || casHazard(gold) || casHazard(pred)) return numeric;
  const cross = numericIdentity(f, g, points.slice(0, opts.points), Math.max(tol, CROSS_CHECK_TOL), exact);
  if (!cross.equal) return numeric;
  const a = casParse(gold);
  const b = casParse(pred);
  return a && b && casProvesEqual(a, b) ? yes(`symbolically equal (CAS), ${cross.reason}`) : numeric;
}

const ASSIGNED = /^(?:[A-Za-z]|\\[A-Za-z]+)(?:_\{?\w+\}?)?$/;

/** Equations are equal when one is a nonzero constant multiple of the other (same solution set). */
function compareEquations(g: { lhs: string; rhs: string }, p: { lhs: string; rhs: string }, opts: CompareOptions): Verdict {
  if (isName(g.lhs) && isName(p.lhs) && squash(g.lhs) === squash(p.lhs)) return compareAnswerTexts(g.rhs, p.rhs, opts);
  const gf = tryParse(`(${g.lhs})-(${g.rhs})`);
  const pf = tryParse(`(${p.lhs})-(${p.rhs})`);
  if (!gf || !pf) return no('equation not parseable');
  const vars = variables(gf);
  if (!sameVars(vars, variables(pf)) || vars.size === 0) return no('equations in different variables');
  let ratio: Complex | null = null;
  let checked = 0;
  for (const { float: env } of samplePoints([...vars], 2 * opts.points)) {
    const a = evalFloat(gf, env);
    const b = evalFloat(pf, env);
    if (!finite(a) || !finite(b)) continue;
    if (Math.hypot(b.re, b.im) === 0) {
      if (Math.hypot(a.re, a.im) === 0) continue;
      return no('equations differ');
    }
    const r = { re: a.re / b.re, im: 0 };
    if (a.im !== 0 || b.im !== 0 || r.re === 0) return no('equations differ');
    if (ratio && !close(ratio, r, 1e-7)) return no('equations are not multiples of each other');
    ratio = r;
    checked++;
  }
  return checked >= 3 ? yes(`equations are scalar multiples (factor ${ratio!.re.toPrecision(6)})`) : no('could not evaluate equations');
}

/** Matches every gold item to a distinct equal pred item (order ignored). */
function unordered(gold: Answer[], pred: Answer[], opts: CompareOptions, what: string): Verdict {
  if (gold.length !== pred.length) return no(`${what}: ${pred.length} items, expected ${gold.length}`);
  const used = new Array<boolean>(pred.length).fill(false);
  for (const g of gold) {
    const j = pred.findIndex((p, k) => !used[k] && compareAnswers(g, p, opts).equal);
    if (j < 0) return no(`${what}: no match for an expected item`);
    used[j] = true;
  }
  return yes(`${what}: all ${gold.length} items match`);
}

function ordered(gold: string[], pred: string[], opts: CompareOptions, what: string): Verdict {
  if (gold.length !== pred.length) return no(`${what}: ${pred.length} entries, expected ${gold.length}`);
  for (let i = 0; i < gold.length; i++) {
    const v = compareAnswerTexts(gold[i], pred[i], opts);
    if (!v.equal) return no(`${what}: entry ${i + 1} differs (${v.reason})`);
  }
  return yes(`${what}: all ${gold.length} entries match`);
}

function vectorOf(a: Answer): string[] | null {
  if (a.kind === 'seq' && a.open === '(' && a.close === ')') return a.items;
  if (a.kind === 'matrix' && (a.rows.length === 1 || a.rows.every((r) => r.length === 1))) return a.rows.flat();
  return null;
}

const squash = (s: string) => s.replace(/\s+/g, '');

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty'];

/** Equality of two normalized answer strings; identical text is equal whatever it means. */
export function compareAnswerTexts(gold: string, pred: string, opts: CompareOptions): Verdict {
  if (squash(gold) === squash(pred)) return yes('identical');
  if (gold.includes('\\begin') || pred.includes('\\begin')) {
    gold = evaluateMatrixExpression(gold) ?? gold;
    pred = evaluateMatrixExpression(pred) ?? pred;
  }
  return compareAnswers(parseAnswer(gold), parseAnswer(pred), opts);
}

function baseValue(digits: string, base: number): bigint {
  let v = 0n;
  for (const ch of digits.toLowerCase()) v = v * BigInt(base) + BigInt(parseInt(ch, 36));
  return v;
}

/** Left-hand sides that name a quantity rather than state an equation: f(3), |PQ|, [ABC], AB, \angle ABC, Area, A:B. */
const NAMED: RegExp[] = [
  ASSIGNED,
  /^[A-Za-z](?:_\{?\w+\}?)?(?:\^\{?-1\}?)?\s*\([^()]*\)$/,
  /^\|[^|]+\|$/,
  /^\[[A-Za-z]{2,5}\]$/,
  /^[A-Z]{2,4}$/,
  /^\\(?:overline|widehat|overrightarrow)\s*\{[^{}]+\}$/,
  /^(?:m\s*)?\\angle\s*[A-Za-z]{1,3}$/,
  /^[A-Za-z]{3,}(?:\s+[A-Za-z]+)*$/,
  /^[A-Za-z]+(?:\s*:\s*[A-Za-z]+)+$/,
];
const isName = (s: string) => NAMED.some((re) => re.test(s.trim()));

/**
 * A predicted "a + b = 11", "\\cos\\theta = 3/5" or "A^{-1} = (matrix)" against a constant
 * reference restates the asked quantity: its left side has no numbers, its right side no
 * variables. (A reference equation is never read this way: "x + y = 7" may be a line.)
 */
function restatesQuantity(p: { lhs: string; rhs: string }, g: Answer): boolean {
  if (/\d/.test(p.lhs.replace(/\^\s*\{?\s*(?:-1|T)\s*\}?/g, ''))) return false;
  const constant = (s: string) => {
    const t = tryParse(s);
    return t !== null && variables(t).size === 0;
  };
  if (g.kind === 'expr' ? !constant(g.text) : g.kind !== 'matrix') return false;
  const rhs = parseAnswer(p.rhs);
  return rhs.kind === 'matrix' ? rhs.rows.flat().every(constant) : rhs.kind === 'expr' && constant(rhs.text);
}
const baseName = (s: string) => s.replace(/_\{?\w+\}?$/, '');

/**
 * Reads what an answer states: a computation "2^8 = 256" is its value; "(a,b) = (1,4)" and
 * "m = 3, n = 8" are assignments; "x = 2 or x = 5" (one name, or x_1, x_2) is the list of values.
 */
function resolve(a: Answer): Answer {
  if (a.kind === 'equation') {
    const lhs = tryParse(a.lhs);
    if (lhs && variables(lhs).size === 0) return parseAnswer(a.rhs);
    const names = parseAnswer(a.lhs);
    const values = parseAnswer(a.rhs);
    if (names.kind === 'seq' && names.open === '(' && names.items.every(isName) && values.kind === 'seq' && values.items.length === names.items.length) {
      return { kind: 'assignments', names: names.items, values: values.items };
    }
    return a;
  }
  if (a.kind === 'list' && a.items.length > 1 && a.items.every((i) => i.kind === 'equation' && isName(i.lhs))) {
    const eqs = a.items as Array<{ kind: 'equation'; lhs: string; rhs: string }>;
    const names = eqs.map((e) => squash(e.lhs));
    if (names.every((n) => baseName(n) === baseName(names[0]))) return { kind: 'list', items: eqs.map((e) => parseAnswer(e.rhs)) };
    if (new Set(names).size === names.length) return { kind: 'assignments', names, values: eqs.map((e) => e.rhs) };
  }
  return a;
}

function compareAssignments(g: Answer, p: Answer, opts: CompareOptions): Verdict {
  if (g.kind === 'assignments' && p.kind === 'assignments') {
    if (g.names.length !== p.names.length) return no(`assignments: ${p.names.length} quantities, expected ${g.names.length}`);
    for (let i = 0; i < g.names.length; i++) {
      const want = squash(g.names[i]);
      const j = p.names.findIndex((n) => squash(n) === want);
      if (j < 0) return no(`assignments: no value for ${g.names[i]}`);
      const v = compareAnswerTexts(g.values[i], p.values[j], opts);
      if (!v.equal) return no(`assignments: ${g.names[i]} differs (${v.reason})`);
    }
    return yes(`assignments: all ${g.names.length} quantities match`);
  }
  // Assigned values against a bare tuple or list: in the order written.
  const [named, other] = g.kind === 'assignments' ? [g, p] : [p as Extract<Answer, { kind: 'assignments' }>, g];
  const items = other.kind === 'seq' && other.open === '(' ? other.items.map((t) => parseAnswer(t)) : other.kind === 'list' || other.kind === 'set' ? other.items : null;
  if (!items) return no(`answer kinds differ: assignments vs ${other.kind}`);
  if (items.length !== named.values.length) return no(`${named.values.length} assigned values vs ${items.length}`);
  for (let i = 0; i < items.length; i++) {
    const [a, b] = g.kind === 'assignments' ? [parseAnswer(named.values[i]), items[i]] : [items[i], parseAnswer(named.values[i])];
    const v = compareAnswers(a, b, opts);
    if (!v.equal) return no(`value ${i + 1} differs (${v.reason})`);
  }
  return yes(`assigned values match in order`);
}

/** A relation, an interval, a union of intervals or relations joined by "or", as a solution set. */
function solutionSet(a: Answer): SolutionSet | null {
  switch (a.kind) {
    case 'relation':
      return relationSet(a);
    case 'seq': {
      const i = intervalSet(a.open, a.close, a.items);
      return i && { variable: null, intervals: [i] };
    }
    case 'union':
    case 'list': {
      const sets = (a.kind === 'union' ? a.parts : a.items).map(solutionSet);
      if (sets.some((x) => x === null)) return null;
      const vars = new Set(sets.map((x) => x!.variable).filter((v) => v !== null));
      if (vars.size > 1) return null;
      return { variable: [...vars][0] ?? null, intervals: sets.flatMap((x) => x!.intervals) };
    }
    default:
      return null;
  }
}

const isRelation = (a: Answer) => a.kind === 'relation' || (a.kind === 'list' && a.items.some((i) => i.kind === 'relation'));

function sameEnd(a: string | null, b: string | null, opts: CompareOptions): boolean {
  return a === null || b === null ? a === b : compareAnswerTexts(a, b, opts).equal;
}

function compareSolutionSets(g: SolutionSet, p: SolutionSet, opts: CompareOptions): Verdict {
  if (g.variable && p.variable && g.variable !== p.variable) return no(`relations in different variables: ${p.variable} vs ${g.variable}`);
  if (g.intervals.length !== p.intervals.length) return no(`solution sets of ${p.intervals.length} and ${g.intervals.length} intervals`);
  const used = new Array<boolean>(p.intervals.length).fill(false);
  const same = (x: Interval, y: Interval) => x.loClosed === y.loClosed && x.hiClosed === y.hiClosed && sameEnd(x.lo, y.lo, opts) && sameEnd(x.hi, y.hi, opts);
  for (const gi of g.intervals) {
    const j = p.intervals.findIndex((pi, k) => !used[k] && same(gi, pi));
    if (j < 0) return no('solution sets differ (an end or its openness)');
    used[j] = true;
  }
  return yes('same solution set');
}

/** Structural comparison; kinds that cannot describe the same answer are not equal. */
export function compareAnswers(g0: Answer, p0: Answer, opts: CompareOptions): Verdict {
  const g = resolve(g0);
  const p = resolve(p0);
  if (g.kind === 'assignments' || p.kind === 'assignments') return compareAssignments(g, p, opts);
  if (g.kind === 'equation' && p.kind === 'equation') return compareEquations(g, p, opts);
  if (g.kind === 'equation' && isName(g.lhs)) return compareAnswers(parseAnswer(g.rhs), p, opts);
  if (p.kind === 'equation' && (isName(p.lhs) || restatesQuantity(p, g))) return compareAnswers(g, parseAnswer(p.rhs), opts);
  if (isRelation(g) || isRelation(p)) {
    const gs = solutionSet(g);
    const ps = solutionSet(p);
    if (gs && ps) return compareSolutionSets(gs, ps, opts);
    return no(`answer kinds differ: ${g.kind} vs ${p.kind} (relation)`);
  }
  const collection = (a: Answer) => a.kind === 'set' || a.kind === 'list' || a.kind === 'plusminus';
  if (collection(g) && collection(p)) {
    return unordered((g as { items: Answer[] }).items, (p as { items: Answer[] }).items, opts, 'unordered');
  }
  if (collection(p) && !collection(g)) return no(`prediction has ${(p as { items: Answer[] }).items.length} answers, expected one`);
  if (collection(g)) return no(`expected ${(g as { items: Answer[] }).items.length} answers, prediction has one`);
  switch (g.kind) {
    case 'expr':
      if (p.kind === 'expr') return compareScalars(g.text, p.text, opts);
      // "The answer is three."
      if (p.kind === 'text') {
        const k = NUMBER_WORDS.indexOf(p.text.toLowerCase().trim());
        if (k >= 0) return compareScalars(g.text, String(k), opts);
      }
      break;
    case 'text':
      if (p.kind === 'text' || p.kind === 'expr') {
        const norm = (s: string) => s.toLowerCase().replace(/[\s.]+/g, ' ').trim();
        return norm(g.text) === norm(p.text) ? yes('same text') : no('different text');
      }
      break;
    case 'choice':
      if (p.kind === 'choice') return g.letter === p.letter ? yes('same choice') : no(`choice ${p.letter}, expected ${g.letter}`);
      break;
    case 'based':
      if (p.kind === 'based') {
        const same = g.base === p.base && baseValue(g.digits, g.base) === baseValue(p.digits, p.base);
        return same ? yes(`same base-${g.base} number`) : no('different base-n number');
      }
      // The question asks for base b; bare digits are accepted, the decimal value is not.
      if (p.kind === 'expr' && /^[0-9A-Za-z]+$/.test(p.text)) {
        return p.text.replace(/^0+(?=.)/, '').toLowerCase() === g.digits.replace(/^0+(?=.)/, '').toLowerCase()
          ? yes(`same digits (base ${g.base} implied)`)
          : no('different digits');
      }
      break;
    case 'seq':
      if (p.kind === 'seq') {
        if (g.open !== p.open || g.close !== p.close) return no(`brackets ${p.open}${p.close} differ from ${g.open}${g.close}`);
        return ordered(g.items, p.items, opts, g.open === '(' && g.close === ')' ? 'tuple' : 'interval');
      }
      break;
    case 'union':
      if (p.kind === 'union') return unordered(g.parts, p.parts, opts, 'union');
      break;
    case 'matrix':
      if (p.kind === 'matrix') {
        if (g.rows.length !== p.rows.length || g.rows.some((r, i) => r.length !== p.rows[i].length)) return no('matrix shapes differ');
        return ordered(g.rows.flat(), p.rows.flat(), opts, 'matrix');
      }
      break;
  }
  const gv = vectorOf(g);
  const pv = vectorOf(p);
  if (gv && pv) return ordered(gv, pv, opts, 'vector');
  return no(`answer kinds differ: ${g.kind} vs ${p.kind}`);
}
