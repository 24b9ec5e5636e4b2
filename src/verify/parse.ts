import { parseDecimal, type Rational } from './rational.ts';

/** Expression tree for the LaTeX / plain-text math subset the fast path understands. */
export type Node =
  | { t: 'num'; v: Rational; decimal: boolean; places: number; sig: number }
  | { t: 'var'; name: string }
  | { t: 'const'; name: 'pi' | 'e' | 'i' | 'inf' }
  | { t: 'add' | 'sub' | 'mul' | 'div' | 'pow'; a: Node; b: Node }
  | { t: 'neg'; a: Node }
  | { t: 'fn'; name: string; args: Node[] }
  | { t: 'fact'; a: Node; step: 1 | 2 };

export class ParseError extends Error {}

type Tok = { k: 'num' | 'id' | 'cmd' | 'op'; s: string };

const MAX_DEPTH = 64;

const FUNCTIONS = new Set([
  'sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh', 'ln', 'log', 'exp',
]);
const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota', 'kappa',
  'lambda', 'mu', 'nu', 'xi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'varphi', 'chi', 'psi', 'omega', 'Gamma',
  'Delta', 'Theta', 'Lambda', 'Xi', 'Sigma', 'Phi', 'Psi', 'Omega',
]);
const MUL_CMDS = new Set(['cdot', 'times', 'ast']);
const OPERAND_CMDS = new Set(['frac', 'cfrac', 'sqrt', 'pi', 'infty', 'binom', 'lfloor', 'lceil']);

function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
      continue;
    }
    const num = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+(?![A-Za-z]))?/.exec(s.slice(i, i + 4096));
    if (num && /[\d.]/.test(c)) {
      toks.push({ k: 'num', s: num[0] });
      i += num[0].length;
    } else if (c === '\\') {
      const m = /^\\([A-Za-z]+|.)/.exec(s.slice(i, i + 64));
      if (!m) throw new ParseError('dangling backslash');
      toks.push({ k: 'cmd', s: m[1] });
      i += m[0].length;
    } else if (/[A-Za-z]/.test(c)) {
      toks.push({ k: 'id', s: c });
      i++;
    } else if ('+-*/^_()[]{}|!'.includes(c)) {
      toks.push({ k: 'op', s: c });
      i++;
    } else throw new ParseError(`unexpected character '${c}'`);
  }
  return toks;
}

/** Parses one scalar expression; throws ParseError on anything outside the supported subset. */
export function parseExpression(src: string): Node {
  const toks = tokenize(src);
  let pos = 0;
  let depth = 0;
  const peek = (): Tok | undefined => toks[pos];
  const isOp = (s: string) => toks[pos]?.k === 'op' && toks[pos].s === s;
  const isCmd = (s: string) => toks[pos]?.k === 'cmd' && toks[pos].s === s;
  const expectOp = (s: string) => {
    if (!isOp(s)) throw new ParseError(`expected '${s}'`);
    pos++;
  };

  function enter() {
    if (++depth > MAX_DEPTH) throw new ParseError('nesting too deep');
  }

  function sum(): Node {
    enter();
    let left = unary();
    while (isOp('+') || isOp('-')) {
      const op = toks[pos++].s === '+' ? 'add' : 'sub';
      left = { t: op, a: left, b: unary() };
    }
    depth--;
    return left;
  }

  function unary(): Node {
    if (isOp('-')) {
      pos++;
      return { t: 'neg', a: unary() };
    }
    if (isOp('+')) {
      pos++;
      return unary();
    }
    return product();
  }

  function product(): Node {
    let left = power();
    for (;;) {
      const tok = peek();
      if (!tok) break;
      if ((tok.k === 'op' && tok.s === '*') || (tok.k === 'cmd' && MUL_CMDS.has(tok.s))) {
        pos++;
        left = { t: 'mul', a: left, b: signedPower() };
      } else if ((tok.k === 'op' && tok.s === '/') || (tok.k === 'cmd' && tok.s === 'div')) {
        pos++;
        left = { t: 'div', a: left, b: signedPower() };
      } else if (tok.k === 'cmd' && tok.s === 'frac' && isInteger(left)) {
        // 137\frac{1}{2} is a mixed number when both parts are integer literals.
        const next = power();
        left = next.t === 'div' && isInteger(next.a) && isInteger(next.b) ? { t: 'add', a: left, b: next } : { t: 'mul', a: left, b: next };
      } else if (startsOperand(tok)) left = { t: 'mul', a: left, b: power() };
      else break;
    }
    return left;
  }

  function signedPower(): Node {
    if (isOp('-')) {
      pos++;
      return { t: 'neg', a: signedPower() };
    }
    return power();
  }

  function startsOperand(tok: Tok): boolean {
    if (tok.k === 'num' || tok.k === 'id') return true;
    if (tok.k === 'op') return tok.s === '(' || tok.s === '[' || tok.s === '{';
    return tok.k === 'cmd' && (OPERAND_CMDS.has(tok.s) || FUNCTIONS.has(tok.s) || GREEK.has(tok.s));
  }

  function power(): Node {
    enter();
    let base = postfix(primary());
    if (isOp('^')) {
      pos++;
      base = { t: 'pow', a: base, b: exponent() };
      base = postfix(base);
    }
    depth--;
    return base;
  }

  function exponent(): Node {
    if (isOp('{')) return group('{', '}');
    if (isOp('-')) {
      pos++;
      return { t: 'neg', a: exponent() };
    }
    return power();
  }

  function postfix(node: Node): Node {
    while (isOp('!')) {
      pos++;
      if (isOp('!')) {
        pos++;
        node = { t: 'fact', a: node, step: 2 };
      } else node = { t: 'fact', a: node, step: 1 };
    }
    return node;
  }

  function group(open: string, close: string): Node {
    expectOp(open);
    const inner = sum();
    expectOp(close);
    return inner;
  }

  /** A macro argument: a braced group or a single token. */
  function argument(): Node {
    if (isOp('{')) return group('{', '}');
    const tok = toks[pos];
    if (!tok) throw new ParseError('missing argument');
    if (tok.k === 'num') {
      // \frac34 means 3/4: a bare argument is a single character.
      pos++;
      if (tok.s.length > 1) {
        toks.splice(pos, 0, { k: 'num', s: tok.s.slice(1) });
        return num(tok.s[0]);
      }
      return num(tok.s);
    }
    return primary();
  }

  function num(s: string): Node {
    const v = parseDecimal(s);
    if (!v) throw new ParseError(`number out of range: ${s.slice(0, 20)}`);
    const m = /(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
    const places = (m?.[1]?.length ?? 0) - Number(m?.[2] ?? 0);
    const sig = s.replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').length;
    return { t: 'num', v, decimal: /[.eE]/.test(s), places, sig };
  }

  function subscriptName(base: string): string {
    if (!isOp('_')) return base;
    pos++;
    let sub = '';
    if (isOp('{')) {
      pos++;
      while (pos < toks.length && !isOp('}')) sub += toks[pos++].s;
      expectOp('}');
    } else if (pos < toks.length) sub = toks[pos++].s;
    return `${base}_${sub}`;
  }

  function fnArgument(): Node {
    if (isOp('(')) return group('(', ')');
    if (isOp('{')) return group('{', '}');
    // \sin 2x means sin(2x); stop before the next function so that \sin x \cos x is a product.
    let arg = power();
    for (let tok = peek(); tok && startsOperand(tok) && !(tok.k === 'cmd' && FUNCTIONS.has(tok.s)); tok = peek()) {
      arg = { t: 'mul', a: arg, b: power() };
    }
    return arg;
  }

  function func(name: string): Node {
    let base: Node | null = null;
    if (name === 'log' && isOp('_')) {
      pos++;
      base = argument();
    }
    let outerPow: Node | null = null;
    if (isOp('^')) {
      pos++;
      const p = exponent();
      const inverse = p.t === 'neg' && p.a.t === 'num' && p.a.v.n === 1n && p.a.v.d === 1n;
      if (inverse && ['sin', 'cos', 'tan'].includes(name)) name = `arc${name}`;
      else outerPow = p;
    }
    const arg = fnArgument();
    let node: Node = base ? { t: 'fn', name: 'logb', args: [arg, base] } : { t: 'fn', name, args: [arg] };
    if (outerPow) node = { t: 'pow', a: node, b: outerPow };
    return node;
  }

  function primary(): Node {
    const tok = toks[pos];
    if (!tok) throw new ParseError('unexpected end of expression');
    if (tok.k === 'num') {
      pos++;
      return num(tok.s);
    }
    if (tok.k === 'id') {
      pos++;
      return { t: 'var', name: subscriptName(tok.s) };
    }
    if (tok.k === 'op') {
      if (tok.s === '(') return group('(', ')');
      if (tok.s === '[') return group('[', ']');
      if (tok.s === '{') return group('{', '}');
      if (tok.s === '|') {
        pos++;
        const inner = sum();
        expectOp('|');
        return { t: 'fn', name: 'abs', args: [inner] };
      }
      throw new ParseError(`unexpected '${tok.s}'`);
    }
    pos++;
    const name = tok.s;
    switch (name) {
      case 'frac':
      case 'cfrac': {
        const a = argument();
        return { t: 'div', a, b: argument() };
      }
      case 'binom': {
        const a = argument();
        return { t: 'fn', name: 'binom', args: [a, argument()] };
      }
      case 'sqrt': {
        if (isOp('[')) {
          const index = group('[', ']');
          return { t: 'fn', name: 'root', args: [argument(), index] };
        }
        return { t: 'fn', name: 'sqrt', args: [argument()] };
      }
      case 'pi':
        return { t: 'const', name: 'pi' };
      case 'infty':
        return { t: 'const', name: 'inf' };
      case 'lfloor':
      case 'lceil': {
        const inner = sum();
        if (!isCmd(name === 'lfloor' ? 'rfloor' : 'rceil')) throw new ParseError(`unclosed \\${name}`);
        pos++;
        return { t: 'fn', name: name === 'lfloor' ? 'floor' : 'ceil', args: [inner] };
      }
    }
    if (FUNCTIONS.has(name)) return func(name);
    if (GREEK.has(name)) return { t: 'var', name: subscriptName(name) };
    throw new ParseError(`unsupported command \\${name}`);
  }

  const tree = sum();
  if (pos < toks.length) throw new ParseError(`unexpected '${toks[pos].s}'`);
  return resolveConstants(tree);
}

/** `e` and `i` are Euler's number and the imaginary unit unless they carry a subscript. */
function resolveConstants(n: Node): Node {
  switch (n.t) {
    case 'var':
      return n.name === 'e' ? { t: 'const', name: 'e' } : n.name === 'i' ? { t: 'const', name: 'i' } : n;
    case 'neg':
    case 'fact':
      return { ...n, a: resolveConstants(n.a) };
    case 'fn':
      return { ...n, args: n.args.map(resolveConstants) };
    case 'num':
    case 'const':
      return n;
    default:
      return { ...n, a: resolveConstants(n.a), b: resolveConstants(n.b) };
  }
}

const isInteger = (n: Node) => n.t === 'num' && !n.decimal && n.v.d === 1n;

/** Free variable names of a tree. */
export function variables(n: Node, out: Set<string> = new Set()): Set<string> {
  switch (n.t) {
    case 'var':
      out.add(n.name);
      break;
    case 'neg':
    case 'fact':
      variables(n.a, out);
      break;
    case 'fn':
      for (const a of n.args) variables(a, out);
      break;
    case 'num':
    case 'const':
      break;
    default:
      variables(n.a, out);
      variables(n.b, out);
  }
  return out;
}

/** Whether `test` holds for the tree or any node below it. */
export function someNode(n: Node, test: (node: Node) => boolean): boolean {
  if (test(n)) return true;
  switch (n.t) {
    case 'num':
    case 'var':
    case 'const':
      return false;
    case 'neg':
    case 'fact':
      return someNode(n.a, test);
    case 'fn':
      return n.args.some((a) => someNode(a, test));
    default:
      return someNode(n.a, test) || someNode(n.b, test);
  }
}

/** Whether a tree contains a decimal literal (an approximate number). */
export function hasDecimal(n: Node): boolean {
  return someNode(n, (x) => x.t === 'num' && x.decimal);
}
