import { matchClose } from './latex.ts';

const UNICODE: Array<[RegExp, string]> = [
  [/[−–—]/g, '-'],
  [/×/g, '\\times '],
  [/·/g, '\\cdot '],
  [/÷/g, '\\div '],
  [/π/g, '\\pi '],
  [/∞/g, '\\infty '],
  [/±/g, '\\pm '],
  [/∪/g, '\\cup '],
  [/√/g, '\\sqrt'],
  [/°/g, '^\\circ'],
  [/\u00a0/g, ' '],
  [/²/g, '^2'],
  [/³/g, '^3'],
  [/≤/g, '\\le '],
  [/≥/g, '\\ge '],
  [/≠/g, '\\ne '],
  [/≈/g, '\\approx '],
  [/[€£]/g, ' '],
];

/** Relation operators in one spelling each: \le, \ge, \ne, <, >; \approx reads as =. */
const RELATIONS: Array<[RegExp, string]> = [
  [/\\(?:leqslant|leq|le)(?![A-Za-z])|<=|=</g, ' \\le '],
  [/\\(?:geqslant|geq|ge)(?![A-Za-z])|>=/g, ' \\ge '],
  [/\\(?:neq|ne)(?![A-Za-z])|!=/g, ' \\ne '],
  [/\\lt(?![A-Za-z])/g, ' < '],
  [/\\gt(?![A-Za-z])/g, ' > '],
  [/\\approx(?![A-Za-z])|\\simeq(?![A-Za-z])/g, ' = '],
];

/** Words accepted as units after a quantity; removed so that "15 cm^2" compares as 15. */
const UNIT_WORDS = [
  'cm', 'mm', 'km', 'm', 'meters?', 'metres?', 'centimeters?', 'kilometers?', 'inch(?:es)?', 'in', 'feet', 'foot', 'ft',
  'yards?', 'miles?', 'mph', 'units?', 'square', 'sq', 'cubic', 'degrees?', 'cents?', 'dollars?', 'seconds?', 'sec', 's',
  'minutes?', 'min', 'hours?', 'hrs?', 'days?', 'weeks?', 'months?', 'years?', 'grams?', 'g', 'kg', 'pounds?', 'lbs?',
  'ounces?', 'oz', 'liters?', 'litres?', 'l', 'ml', 'gallons?', 'people', 'students?', 'points?', 'ways?', 'percent',
];
const UNIT_RE = new RegExp(`^(?:(?:${UNIT_WORDS.join('|')})\\b\\.?\\s*)+$`, 'i');
/** Bare words after a number: single letters (m, s, g, l) and "in" are too ambiguous with algebra. */
const BARE_UNITS = UNIT_WORDS.filter((w) => w.length > 1 && w !== 'in');
const TRAILING_UNIT_RE = new RegExp(`(?<=[\\d}])\\s*(?:(?:${BARE_UNITS.join('|')})(?:\\^\\{?\\d\\}?)?\\s*)+$`, 'i');

/** Lower-case words after a number ("12 apples", "5 ways total"); "and"/"or" make it a list instead. */
const TRAILING_WORDS = /(?<=\d)\s+(?:[a-z]{3,}\s*)+$/;

const TEXT_MACROS = /\\(?:text|textbf|textit|textrm|mbox|mathrm|mathbf|mathit|mathsf|operatorname|textnormal)\s*\{/g;

/**
 * Removes \text{...}-like groups that hold units, or words right after a quantity ("3 \text{ apples}"),
 * keeping "and"/"or" as list separators; unwraps the rest.
 */
function handleTextGroups(s: string): string {
  let out = '';
  let i = 0;
  for (let m = TEXT_MACROS.exec(s); m; m = TEXT_MACROS.exec(s)) {
    const open = m.index + m[0].length - 1;
    const close = matchClose(s, open);
    if (close < 0) break;
    const inner = s.slice(open + 1, close);
    let end = close + 1;
    const power = /^\s*\^\s*(?:\{\s*\d\s*\}|\d)/.exec(s.slice(end));
    const word = inner.trim();
    out += s.slice(i, m.index);
    const rest = s.slice(0, m.index) + s.slice(end);
    if (/^(?:and|or)$/i.test(word)) out += ` ${word.toLowerCase()} `;
    else if ((word.split('/').every((w) => UNIT_RE.test(w.trim())) || (/^[a-z][a-z\s.]*$/i.test(word) && /[\d}]\s*$/.test(out))) && /[\d}]/.test(rest)) {
      if (power) end += power[0].length;
    } else out += inner;
    i = end;
    TEXT_MACROS.lastIndex = end;
  }
  return out + s.slice(i);
}

/**
 * Canonical surface form of an answer string: no math delimiters, sizing or spacing macros,
 * units, degrees, percent or currency; \dfrac/\tfrac become \frac; explicit thousands
 * separators become plain commas (resolved by the structure parser). Never throws.
 */
export function normalizeAnswer(raw: string): string {
  let s = raw;
  for (const [re, rep] of UNICODE) s = s.replace(re, rep);
  s = s.replace(/\\\[|\\\]|\\\(|\\\)/g, ' ');
  s = s.replace(/(?<!\\)\$/g, ' ');
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle|limits)\b/g, '');
  s = s.replace(/\\(?:left|right)\s*\.?/g, '');
  s = s.replace(/\\(?:big|Big|bigg|Bigg)[lrm]?\b/g, '');
  // Thousands separators written as {,} or ,\! (possibly followed by a space) before 3 digits.
  s = s.replace(/(\d)\s*(?:\{,\}|,\\!|,\\,)\s*(?=\d{3})/g, '$1,');
  s = s.replace(/(?<!\\)\\[!,;:> ]|\\q?quad\b|~/g, (m) => (m === '\\!' || m === '\\,' ? '' : ' '));
  s = s.replace(/\\[dt]frac(?![A-Za-z])/g, '\\frac').replace(/\\[dt]binom(?![A-Za-z])/g, '\\binom');
  for (const [re, rep] of RELATIONS) s = s.replace(re, rep);
  // A decimal comma written {,} before fewer than 3 digits (0{,}75); groups of 3 stay thousands.
  s = s.replace(/(\d)\{,\}(?=\d{1,2}(?!\d))/g, '$1,');
  // Digit groups separated by spaces: 1 000, 1 234 567.
  s = s.replace(/(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d.,])/g, (m) => m.replace(/ /g, ''));
  // A lone matrix inside brackets (\left[ \begin{array} ... \right]) is the matrix.
  s = s.replace(/^\s*[[(]\s*(\\begin\{(\w+)\}[\s\S]*\\end\{\2\})\s*[\])]\s*$/, '$1');
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree\b/g, '');
  s = s.replace(/\\?%/g, '');
  s = s.replace(/\\\$/g, '');
  s = handleTextGroups(s);
  s = s.replace(/\s+/g, ' ').trim();
  s = s.replace(TRAILING_UNIT_RE, '');
  s = s.replace(TRAILING_WORDS, (m) => (/\b(?:and|or)\b/i.test(m) ? m : ''));
  s = s.replace(/^[a-zA-Z]\s*\\in(?![A-Za-z])\s*/, '');
  s = s.replace(/(?<=\d)\s+(?:mm|cm|m|km|ft|in|yd)\s*\^\s*\{?[23]\}?$/, '');
  s = s.replace(/^=\s*/, '');
  s = s.replace(/[\s.,;:]+$/, '');
  return s.trim();
}
