import { splitTopLevel } from './latex.ts';
import { splitRelation } from './relation.ts';

/** The shape of a normalized answer, decided before any value is compared. */
export type Answer =
  | { kind: 'expr'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'choice'; letter: string }
  | { kind: 'based'; digits: string; base: number }
  | { kind: 'seq'; open: string; close: string; items: string[] }
  | { kind: 'union'; parts: Answer[] }
  | { kind: 'set'; items: Answer[] }
  | { kind: 'list'; items: Answer[] }
  | { kind: 'matrix'; rows: string[][] }
  | { kind: 'equation'; lhs: string; rhs: string }
  | { kind: 'assignments'; names: string[]; values: string[] }
  | { kind: 'relation'; parts: string[]; ops: Array<'\\le' | '\\ge' | '\\ne' | '<' | '>'> }
  | { kind: 'plusminus'; items: Answer[] };

const THOUSANDS = /^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const MATRIX = /^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/;
const CHOICE = /^\(?([A-E])\)?$/;
const BASED = /^([0-9A-Za-z]+)_\{?(\d{1,2})\}?$/;
const KNOWN_WORDS = /\\[A-Za-z]+/g;

/** True when the string reads as words rather than as algebra (a run of 3+ letters outside commands). */
function isText(s: string): boolean {
  return /[A-Za-z]{3,}/.test(s.replace(KNOWN_WORDS, ' ')) && !/[\d=^_\\]/.test(s.replace(KNOWN_WORDS, ''));
}

/** Replaces a single \pm (or \mp) by + and - to give the two alternatives, or null when there is none. */
function expandPlusMinus(s: string): string[] | null {
  const m = /\\(pm|mp)(?![A-Za-z])/.exec(s);
  if (!m) return null;
  const head = s.slice(0, m.index);
  const tail = s.slice(m.index + m[0].length);
  if (/\\(pm|mp)(?![A-Za-z])/.test(tail)) return null;
  const signs = m[1] === 'pm' ? ['+', '-'] : ['-', '+'];
  return signs.map((sign) => `${head}${sign}${tail}`);
}

function splitList(s: string): string[] | null {
  for (const sep of [';', ',']) {
    const parts = splitTopLevel(s, sep);
    if (parts.length > 1) return parts.map((p) => p.trim());
  }
  const words = s.split(/\s+(?:and|or)\s+/);
  return words.length > 1 ? words.map((p) => p.trim()) : null;
}

/**
 * Structure of a normalized answer. Element strings stay unparsed; values are compared later.
 * Brackets are matched by depth regardless of type so that half-open intervals are recognized.
 */
export function parseAnswer(s: string): Answer {
  s = s.trim();
  const matrix = MATRIX.exec(s);
  if (matrix) {
    const rows = matrix[2]
      .split(/\\\\/)
      .map((r) => r.trim())
      .filter((r) => r !== '' && !/^\\hline$/.test(r))
      .map((r) => r.split('&').map((c) => c.trim()));
    return { kind: 'matrix', rows };
  }
  const choice = CHOICE.exec(s);
  if (choice) return { kind: 'choice', letter: choice[1] };
  if (THOUSANDS.test(s)) return { kind: 'expr', text: s.replace(/,/g, '') };
  const based = BASED.exec(s);
  if (based && validDigits(based[1], Number(based[2]))) return { kind: 'based', digits: based[1], base: Number(based[2]) };

  const unions = splitTopLevel(s, '\\cup');
  if (unions.length > 1) return { kind: 'union', parts: unions.map((p) => parseAnswer(p)) };

  const eqParts = splitTopLevel(s, '=');
  // A chain "x = 2+3 = 5" states its value last.
  if (eqParts.length >= 2 && splitList(s) === null && eqParts.every((p) => p.trim() !== '')) {
    return { kind: 'equation', lhs: eqParts[0].trim(), rhs: eqParts[eqParts.length - 1].trim() };
  }
  const relation = splitList(s) === null ? splitRelation(s) : null;
  if (relation) return { kind: 'relation', ...relation };
  const ratio = splitTopLevel(s, ':');
  if (ratio.length > 1 && splitList(s) === null && ratio.every((p) => p.trim() !== '')) return { kind: 'seq', open: ':', close: ':', items: ratio.map((p) => p.trim()) };

  const braced = s.startsWith('{') && s.endsWith('}') && matchCloseAny(s) === s.length - 1 && splitTopLevel(s.slice(1, -1), ',').length > 1;
  if ((s.startsWith('\\{') && s.endsWith('\\}')) || braced) {
    const inner = braced ? s.slice(1, -1).trim() : s.slice(2, -2).trim();
    const items = inner === '' ? [] : splitTopLevel(inner, ',').map((p) => parseAnswer(p));
    return { kind: 'set', items: items.flatMap((a) => (a.kind === 'plusminus' ? a.items : [a])) };
  }
  if ((s[0] === '(' || s[0] === '[') && (s.endsWith(')') || s.endsWith(']'))) {
    const close = matchCloseAny(s);
    if (close === s.length - 1) {
      const items = splitTopLevel(s.slice(1, -1), ',').map((p) => p.trim());
      if (items.length > 1) return { kind: 'seq', open: s[0], close: s[s.length - 1], items };
    }
  }
  const list = splitList(s);
  if (list) {
    const items = list.map((p) => parseAnswer(p));
    return { kind: 'list', items: items.flatMap((a) => (a.kind === 'plusminus' ? a.items : [a])) };
  }
  const pm = expandPlusMinus(s);
  if (pm) return { kind: 'plusminus', items: pm.map((p) => parseAnswer(p)) };
  if (isText(s)) return { kind: 'text', text: s.replace(KNOWN_WORDS, (w) => w.slice(1)) };
  return { kind: 'expr', text: s };
}

/** x_2 is a variable, 101_2 a binary number: every digit must exist in the base. */
function validDigits(digits: string, base: number): boolean {
  return base >= 2 && base <= 36 && [...digits.toLowerCase()].every((c) => parseInt(c, 36) < base);
}

/** Closing index for the bracket at 0, counting ( and [ alike (so "[1, 5)" is one group). */
function matchCloseAny(s: string): number {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && --depth === 0) return i;
  }
  return -1;
}
