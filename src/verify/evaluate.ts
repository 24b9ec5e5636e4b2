import type { Node } from './parse.ts';
import * as Q from './rational.ts';
import type { Rational } from './rational.ts';

/** Exact complex rational a + bi. */
export interface Exact {
  re: Rational;
  im: Rational;
}

/** Largest n for which n! / n!! is computed exactly; 450! is about the MAX_RATIONAL_BITS limit. */
const MAX_EXACT_FACTORIAL = 450n;
const MAX_COMPLEX_POWER = 64n;

const real = (re: Rational): Exact => ({ re, im: Q.ZERO });

function both(a: Rational | null, b: Rational | null): Exact | null {
  return a && b ? { re: a, im: b } : null;
}

function mulExact(a: Exact, b: Exact): Exact | null {
  const rr = Q.mul(a.re, b.re), ii = Q.mul(a.im, b.im), ri = Q.mul(a.re, b.im), ir = Q.mul(a.im, b.re);
  return rr && ii && ri && ir ? both(Q.sub(rr, ii), Q.add(ri, ir)) : null;
}

function divExact(a: Exact, b: Exact): Exact | null {
  if (Q.isZero(b.im)) return Q.isZero(b.re) ? null : both(Q.div(a.re, b.re), Q.div(a.im, b.re));
  const c2 = Q.mul(b.re, b.re), d2 = Q.mul(b.im, b.im);
  const den = c2 && d2 && Q.add(c2, d2);
  const conj = mulExact(a, { re: b.re, im: Q.neg(b.im) });
  return den && conj ? both(Q.div(conj.re, den), Q.div(conj.im, den)) : null;
}

function powExact(base: Exact, e: Exact): Exact | null {
  if (!Q.isZero(e.im)) return null;
  if (!Q.isInteger(e.re)) {
    // Square roots of perfect squares are exact (4^{1/2}, (9/4)^{3/2}); other roots go to floats.
    if (e.re.d !== 2n || !Q.isZero(base.im)) return null;
    const root = Q.exactSqrt(base.re);
    return root && powExact(real(root), real({ n: e.re.n, d: 1n }));
  }
  const k = e.re.n;
  if (Q.isZero(base.im)) {
    const r = Q.powInt(base.re, k);
    return r && real(r);
  }
  if (k > MAX_COMPLEX_POWER || k < -MAX_COMPLEX_POWER) return null;
  let acc: Exact | null = real(Q.ONE);
  for (let i = 0n; i < (k < 0n ? -k : k) && acc; i++) acc = mulExact(acc, base);
  return acc && k < 0n ? divExact(real(Q.ONE), acc) : acc;
}

function factorialExact(a: Exact, step: bigint): Exact | null {
  if (!Q.isZero(a.im) || !Q.isInteger(a.re) || a.re.n < 0n || a.re.n > MAX_EXACT_FACTORIAL) return null;
  let acc = 1n;
  for (let i = a.re.n; i > 1n; i -= step) acc *= i;
  const r = Q.rat(acc);
  return r && real(r);
}

function binomExact(n: Exact, k: Exact): Exact | null {
  if (!Q.isZero(n.im) || !Q.isZero(k.im) || !Q.isInteger(n.re) || !Q.isInteger(k.re)) return null;
  const N = n.re.n, K = k.re.n;
  if (K < 0n || N < 0n || K > N) return K < 0n || (N >= 0n && K > N) ? real(Q.ZERO) : null;
  if (N > MAX_EXACT_FACTORIAL) return null;
  let acc = 1n;
  for (let i = 0n; i < K; i++) acc = (acc * (N - i)) / (i + 1n);
  return real({ n: acc, d: 1n });
}

/**
 * Exact value over the Gaussian rationals, or null when the tree needs a variable, an
 * irrational constant or function, or a result beyond the size limits.
 */
export function evalExact(n: Node, env?: ReadonlyMap<string, Rational>): Exact | null {
  const rec = (m: Node) => evalExact(m, env);
  switch (n.t) {
    case 'num':
      return real(n.v);
    case 'const':
      return n.name === 'i' ? { re: Q.ZERO, im: Q.ONE } : null;
    case 'var': {
      const v = env?.get(n.name);
      return v ? real(v) : null;
    }
    case 'neg': {
      const a = rec(n.a);
      return a && { re: Q.neg(a.re), im: Q.neg(a.im) };
    }
    case 'fact': {
      const a = rec(n.a);
      return a && factorialExact(a, BigInt(n.step));
    }
    case 'fn': {
      const args = n.args.map(rec);
      if (args.some((a) => a === null)) return null;
      const [x, y] = args as Exact[];
      if (n.name === 'binom') return binomExact(x, y);
      if (!Q.isZero(x.im)) return null;
      if (n.name === 'abs') return real(x.re.n < 0n ? Q.neg(x.re) : x.re);
      if (n.name === 'floor' || n.name === 'ceil') return real({ n: floorDiv(x.re.n * (n.name === 'ceil' ? -1n : 1n), x.re.d) * (n.name === 'ceil' ? -1n : 1n), d: 1n });
      if (n.name === 'sqrt') {
        if (x.re.n >= 0n) {
          const r = Q.exactSqrt(x.re);
          return r && real(r);
        }
        const r = Q.exactSqrt(Q.neg(x.re));
        return r && { re: Q.ZERO, im: r };
      }
      return null;
    }
    default: {
      const a = rec(n.a);
      const b = a && rec(n.b);
      if (!a || !b) return null;
      switch (n.t) {
        case 'add':
          return both(Q.add(a.re, b.re), Q.add(a.im, b.im));
        case 'sub':
          return both(Q.sub(a.re, b.re), Q.sub(a.im, b.im));
        case 'mul':
          return mulExact(a, b);
        case 'div':
          return divExact(a, b);
        case 'pow':
          return powExact(a, b);
      }
    }
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

/** Complex float a + bi. */
export interface Complex {
  re: number;
  im: number;
}

const C = (re: number, im = 0): Complex => ({ re, im });
const NAN = C(NaN, NaN);

function cmul(a: Complex, b: Complex): Complex {
  return C(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}

function cdiv(a: Complex, b: Complex): Complex {
  if (b.im === 0) return C(a.re / b.re, a.im / b.re);
  const den = b.re * b.re + b.im * b.im;
  return C((a.re * b.re + a.im * b.im) / den, (a.im * b.re - a.re * b.im) / den);
}

function clog(a: Complex): Complex {
  return C(Math.log(Math.hypot(a.re, a.im)), Math.atan2(a.im, a.re));
}

function cexp(a: Complex): Complex {
  const m = Math.exp(a.re);
  return a.im === 0 ? C(m) : C(m * Math.cos(a.im), m * Math.sin(a.im));
}

function cpow(a: Complex, b: Complex): Complex {
  if (a.im === 0 && b.im === 0 && (a.re >= 0 || Number.isInteger(b.re))) return C(Math.pow(a.re, b.re));
  if (a.re === 0 && a.im === 0) return b.re > 0 ? C(0) : NAN;
  return cexp(cmul(b, clog(a)));
}

function csqrt(a: Complex): Complex {
  if (a.im === 0) return a.re >= 0 ? C(Math.sqrt(a.re)) : C(0, Math.sqrt(-a.re));
  return cpow(a, C(0.5));
}

const REAL_FUNCTIONS: Partial<Record<string, (x: number) => number>> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  cot: (x) => 1 / Math.tan(x),
  sec: (x) => 1 / Math.cos(x),
  csc: (x) => 1 / Math.sin(x),
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  floor: Math.floor,
  ceil: Math.ceil,
};

function factorialFloat(x: number, step: number): number {
  if (!Number.isInteger(x) || x < 0) return NaN;
  if (x > 170) return Infinity;
  let acc = 1;
  for (let i = x; i > 1; i -= step) acc *= i;
  return acc;
}

/** Numeric value with real values for the variables in `env`; NaN parts where undefined. */
export function evalFloat(n: Node, env: ReadonlyMap<string, number>): Complex {
  switch (n.t) {
    case 'num':
      return C(Q.toNumber(n.v));
    case 'const':
      return n.name === 'pi' ? C(Math.PI) : n.name === 'e' ? C(Math.E) : n.name === 'i' ? C(0, 1) : C(Infinity);
    case 'var': {
      const v = env.get(n.name);
      return v === undefined ? NAN : C(v);
    }
    case 'neg': {
      const a = evalFloat(n.a, env);
      return C(-a.re, -a.im);
    }
    case 'fact': {
      const a = evalFloat(n.a, env);
      return a.im === 0 ? C(factorialFloat(a.re, n.step)) : NAN;
    }
    case 'fn': {
      const args = n.args.map((a) => evalFloat(a, env));
      const x = args[0];
      switch (n.name) {
        case 'sqrt':
          return csqrt(x);
        case 'root':
          return cpow(x, cdiv(C(1), args[1]));
        case 'exp':
          return cexp(x);
        case 'ln':
          return clog(x);
        case 'log':
          return cdiv(clog(x), C(Math.LN10));
        case 'logb':
          return cdiv(clog(x), clog(args[1]));
        case 'abs':
          return C(Math.hypot(x.re, x.im));
        case 'binom': {
          const k = args[1];
          if (x.im !== 0 || k.im !== 0) return NAN;
          return C(factorialFloat(x.re, 1) / (factorialFloat(k.re, 1) * factorialFloat(x.re - k.re, 1)));
        }
      }
      const f = REAL_FUNCTIONS[n.name];
      return f && x.im === 0 ? C(f(x.re)) : NAN;
    }
    default: {
      const a = evalFloat(n.a, env);
      const b = evalFloat(n.b, env);
      switch (n.t) {
        case 'add':
          return C(a.re + b.re, a.im + b.im);
        case 'sub':
          return C(a.re - b.re, a.im - b.im);
        case 'mul':
          return a.im === 0 && b.im === 0 ? C(a.re * b.re) : cmul(a, b);
        case 'div':
          return cdiv(a, b);
        case 'pow':
          return cpow(a, b);
      }
    }
  }
}
