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
