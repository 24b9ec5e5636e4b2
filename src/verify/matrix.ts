import { evalExact, type Exact } from './evaluate.ts';
import { parseExpression } from './parse.ts';
import * as Q from './rational.ts';

type M = Exact[][];

const ENV = /\\begin\{([pbvBV]?matrix|array)\}(?:\{[^}]*\})?([\s\S]*?)\\end\{\1\}/g;

function value(text: string): Exact | null {
  try {
    return evalExact(parseExpression(text));
  } catch {
    return null;
  }
}

function literal(body: string): M | null {
  const rows = body.split(/\\\\/).map((r) => r.trim()).filter((r) => r !== '' && r !== '\\hline').map((r) => r.split('&').map((c) => value(c.trim())));
  if (rows.length === 0 || rows.some((r) => r.length !== rows[0].length || r.some((c) => c === null))) return null;
  return rows as M;
}

const add = (a: Exact, b: Exact): Exact | null => {
  const re = Q.add(a.re, b.re), im = Q.add(a.im, b.im);
  return re && im ? { re, im } : null;
};
const mul = (a: Exact, b: Exact): Exact | null => {
  const rr = Q.mul(a.re, b.re), ii = Q.mul(a.im, b.im), ri = Q.mul(a.re, b.im), ir = Q.mul(a.im, b.re);
  const re = rr && ii && Q.sub(rr, ii), im = ri && ir && Q.add(ri, ir);
  return re && im ? { re, im } : null;
};

function product(a: M, b: M): M | null {
  if (a[0].length !== b.length) return null;
  const out: M = [];
  for (const row of a) {
    const r: Exact[] = [];
    for (let j = 0; j < b[0].length; j++) {
      let acc: Exact | null = { re: Q.ZERO, im: Q.ZERO };
      for (let k = 0; k < b.length && acc; k++) acc = add(acc, mul(row[k], b[k][j]) ?? { re: Q.ZERO, im: Q.ZERO });
      if (!acc) return null;
      r.push(acc);
    }
    out.push(r);
  }
  return out;
}

const scale = (c: Exact, m: M): M | null => {
  const out = m.map((r) => r.map((x) => mul(c, x)));
  return out.some((r) => r.some((x) => x === null)) ? null : (out as M);
};

const show = (x: Exact) => (Q.isZero(x.im) ? Q.ratToString(x.re) : `${Q.ratToString(x.re)}+${Q.ratToString(x.im)}i`);

/**
 * A sum, difference or product of explicit constant matrices (`A + B`, `2A`, `AB`), evaluated
 * exactly and written as one pmatrix; null for anything else (a single matrix included).
 */
export function evaluateMatrixExpression(s: string): string | null {
  const envs = [...s.matchAll(ENV)];
  if (envs.length === 0 || (envs.length === 1 && s.trim() === envs[0][0])) return null;
  let total: M | null = null;
  let sign = 1;
  let term: M | null = null;
  let coef: Exact = { re: Q.ONE, im: Q.ZERO };
  let pos = 0;
  const flush = (): boolean => {
    if (!term) return false;
    const t = scale(sign < 0 ? { re: Q.neg(coef.re), im: Q.neg(coef.im) } : coef, term);
    if (!t) return false;
    if (total && (total.length !== t.length || total[0].length !== t[0].length)) return false;
    total = total ? (total.map((r, i) => r.map((x, j) => add(x, t[i][j]))) as M) : t;
    return !total.some((r) => r.some((x) => x === null));
  };
  for (const m of envs) {
    let gap = s.slice(pos, m.index).replace(/\\(?:cdot|times)/g, ' ').trim();
    const op = /^([+-])\s*/.exec(gap);
    if (op && pos > 0) {
      if (!flush()) return null;
      sign = op[1] === '-' ? -1 : 1;
      term = null;
      coef = { re: Q.ONE, im: Q.ZERO };
      gap = gap.slice(op[0].length);
    } else if (op && pos === 0 && op[1] === '-') {
      sign = -1;
      gap = gap.slice(op[0].length);
    }
    if (gap !== '') {
      const c = value(gap);
      if (!c) return null;
      const next = mul(coef, c);
      if (!next) return null;
      coef = next;
    }
    const lit = literal(m[2]);
    if (!lit) return null;
    term = term ? product(term, lit) : lit;
    if (!term) return null;
    pos = m.index + m[0].length;
  }
  if (s.slice(pos).trim() !== '' || !flush() || !total) return null;
  return `\\begin{pmatrix}${(total as M).map((r) => r.map(show).join(' & ')).join(' \\\\ ')}\\end{pmatrix}`;
}
