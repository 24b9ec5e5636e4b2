import { ComputeEngine } from '@cortex-js/compute-engine';

type BoxedExpression = ReturnType<ComputeEngine['parse']>;

/**
 * The maintained CAS (@cortex-js/compute-engine 0.27) for what the fast path cannot settle:
 * LaTeX it does not parse, and symbolic proofs for expressions with variables. Its own
 * comparisons use a numeric tolerance (it calls 1/3^40 and 1/3^41 the same), so a CAS "equal"
 * is only accepted together with a numeric cross-check that is relative, never absolute.
 */
let engine: ComputeEngine | null = null;

function ce(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

export interface CasExpr {
  expr: BoxedExpression;
  unknowns: string[];
}

/**
 * Inputs the CAS would grind on (it evaluates exactly and sums term by term): exponent towers
 * three deep, factorials of 4+ digit numbers, sums and products with a bound of 5+ digits or a
 * power as bound. Refused before parsing; the pool's timeout remains the backstop.
 */
const CAS_HAZARDS: Array<[RegExp, string]> = [
  [/\^\s*\{[^{}]*\^\s*\{?[^{}]*\^/, 'exponent tower'],
  [/\d{4,}\s*\)?\s*!/, 'factorial of a large number'],
  [/\\(?:sum|prod)\s*_\s*(?:\{[^{}]*\}|\S)\s*\^\s*\{?\s*(?:\d{5,}|[^{}]*\^)/, 'sum or product with a huge bound'],
];

export function casHazard(latex: string): string | null {
  for (const [re, what] of CAS_HAZARDS) if (re.test(latex)) return what;
  return null;
}

export function casParse(latex: string): CasExpr | null {
  try {
    const expr = ce().parse(latex);
    if (!expr.isValid) return null;
    return { expr, unknowns: [...expr.unknowns] };
  } catch {
    return null;
  }
}

/** True when the CAS proves a = b symbolically (same canonical form, or a - b simplifies to 0). */
export function casProvesEqual(a: CasExpr, b: CasExpr): boolean {
  try {
    if (a.expr.isSame(b.expr)) return true;
    const diff = ce().box(['Subtract', a.expr, b.expr]).simplify();
    return diff.is(0);
  } catch {
    return false;
  }
}

/** Numeric value (re, im) at the given variable values; NaN when the CAS cannot evaluate it. */
export function casEvaluate(a: CasExpr, env: ReadonlyMap<string, number>): { re: number; im: number } {
  try {
    const sub = Object.fromEntries([...env].map(([k, v]) => [k, ce().number(v)]));
    const value = (env.size > 0 ? a.expr.subs(sub) : a.expr).N();
    return { re: value.re, im: value.im };
  } catch {
    return { re: NaN, im: NaN };
  }
}
