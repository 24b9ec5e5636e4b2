import { matchClose } from './latex.ts';
import { isUnitWord } from './units.ts';

/** Where an answer can be found in a response; tried in the configured order, first hit wins. */
export type Extractor = 'boxed' | 'answer_tag' | 'final_answer' | 'gsm8k' | 'last_math' | 'last_number' | 'whole' | 'verbatim';

export const EXTRACTORS: readonly Extractor[] = ['boxed', 'answer_tag', 'final_answer', 'gsm8k', 'last_math', 'last_number', 'whole', 'verbatim'];

/** Default for rewards: an answer must be explicitly marked; unformatted text earns nothing. */
export const DEFAULT_EXTRACTORS: readonly Extractor[] = ['boxed', 'answer_tag', 'final_answer', 'gsm8k'];

/**
 * Per-dataset strategies. `whole` treats a short single-line response as a bare answer;
 * `verbatim` takes any text as the answer (for comparing answers already extracted).
 */
export const EXTRACTION_PRESETS: Record<string, readonly Extractor[]> = {
  math: DEFAULT_EXTRACTORS,
  gsm8k: ['gsm8k', 'boxed', 'answer_tag', 'final_answer'],
  r1: ['answer_tag', 'boxed', 'final_answer'],
  lenient: [...DEFAULT_EXTRACTORS, 'last_math', 'last_number'],
  /** Free-form output as a careful grader reads it: marked answers, then the last math, a bare answer, the last number. */
  cli: [...DEFAULT_EXTRACTORS, 'last_math', 'whole', 'last_number'],
  answer: ['verbatim'],
};

export interface Extraction {
  answer: string;
  by: Extractor;
}

/** Longest text after an answer cue that is read as the answer's sentence. */
const MAX_PHRASE_CHARS = 2000;

/** Longest bare response `whole` accepts; anything longer is a response, not an answer. */
const WHOLE_MAX_CHARS = 200;

const BOX_COMMANDS = ['\\boxed', '\\fbox', '\\framebox'];

/** Content of the last \boxed{...} (or \fbox, \framebox), braces balanced; `\boxed 5` too. */
export function lastBoxed(text: string): string | null {
  let best = -1;
  let cmdLen = 0;
  for (const cmd of BOX_COMMANDS) {
    let at = text.lastIndexOf(cmd);
    // Skip matches that are prefixes of longer command names (\boxedx is not \boxed).
    while (at >= 0 && /[A-Za-z]/.test(text[at + cmd.length] ?? '')) at = at > 0 ? text.lastIndexOf(cmd, at - 1) : -1;
    if (at > best) [best, cmdLen] = [at, cmd.length];
  }
  if (best < 0) return null;
  let i = best + cmdLen;
  while (text[i] === ' ') i++;
  if (text[i] === '{') {
    const close = matchClose(text, i);
    return close < 0 ? null : text.slice(i + 1, close);
  }
  const m = /^[^\s$]+/.exec(text.slice(i, i + 200));
  return m ? m[0] : null;
}

/** Text between two boxes that only joins alternatives: "or", "and", commas, slashes, spacing. */
const CONNECTOR = /^(?:[\s$.,;/~&]|\\q?quad\b|\\[,;: ]|\\text\s*\{\s*(?:and|or)?\s*\}|or|and|either)*$/i;

/**
 * Boxes chained to the last one by mere connectors ("\\boxed{1331} or \\boxed{1728}"),
 * the last one included: more than one is a hedge. Boxes separated by other words
 * ("intermediate \\boxed{3}, final \\boxed{5}") are not part of the chain.
 */
export function chainedBoxes(text: string): string[] {
  const boxes: Array<{ start: number; end: number; content: string }> = [];
  const re = /\\(?:boxed|fbox|framebox)(?![A-Za-z])\s*\{/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const close = matchClose(text, m.index + m[0].length - 1);
    if (close < 0) break;
    boxes.push({ start: m.index, end: close + 1, content: text.slice(m.index + m[0].length, close) });
    re.lastIndex = close + 1;
  }
  let first = boxes.length - 1;
  while (first > 0 && CONNECTOR.test(text.slice(boxes[first - 1].end, boxes[first].start))) first--;
  return boxes.slice(Math.max(first, 0)).map((b) => b.content);
}

function answerTag(text: string): string | null {
  const end = text.lastIndexOf('</answer>');
  if (end < 0) return null;
  const start = text.lastIndexOf('<answer>', end);
  if (start < 0) return null;
  const inner = text.slice(start + '<answer>'.length, end);
  return lastBoxed(inner) ?? inner;
}

function finalAnswer(text: string): string | null {
  const re = /(?:(?:final answer|the answer)\s*(?:is|:)|\banswer\s*:)[\s*_:]*/gi;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  if (!last) return null;
  const rest = text.slice(last.index + last[0].length).replace(/^[\s*_:]+/, '');
  const boxed = /^\$*\s*\\(?:boxed|fbox)/.test(rest) ? lastBoxed(rest) : null;
  if (boxed !== null) return boxed;
  // An answer sentence is short; the cap keeps the phrase scans linear on adversarial input.
  const phrase = firstSentence(rest.slice(0, MAX_PHRASE_CHARS));
  return phrase.trim() === '' ? null : answerFromPhrase(phrase);
}

interface Span {
  start: number;
  end: number;
  content: string;
}

const OPENERS: Array<[string, string]> = [['$$', '$$'], ['\\[', '\\]'], ['\\(', '\\)'], ['$', '$']];

/** Math spans ($…$, $$…$$, \(…\), \[…\]) in order; `\$` is a dollar sign. Linear scan. */
function mathSpans(text: string): Span[] {
  const spans: Span[] = [];
  // Per closing delimiter, a position before which it does not occur (after a failed scan):
  // later scans resume there, so unclosed delimiters cannot make the scan quadratic.
  const clear: Record<string, number> = {};
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$' && c !== '\\') {
      i++;
      continue;
    }
    if (c === '\\' && text[i + 1] !== '(' && text[i + 1] !== '[') {
      i += 2;
      continue;
    }
    const [open, closer] = OPENERS.find(([o]) => text.startsWith(o, i))!;
    const single = open === '$';
    const from = i + open.length;
    let close = -1;
    if (single) {
      // The first unescaped $ closes; but after "$5" a $ that follows a space means both were
      // dollar signs ("costs $5 and $10").
      let j = from;
      while (j < text.length && text[j] !== '$') j += text[j] === '\\' ? 2 : 1;
      if (j < text.length && !(/\d/.test(text[from] ?? '') && /\s/.test(text[j - 1]))) close = j;
    } else {
      const at = text.indexOf(closer, Math.max(from, clear[closer] ?? 0));
      if (at < 0) clear[closer] = text.length;
      else close = at;
    }
    // A single-dollar span that reads as prose was two dollar signs.
    if (close < 0 || (single && proseWords(text.slice(from, close)) >= 2)) {
      i += open.length;
      continue;
    }
    spans.push({ start: i, end: close + closer.length, content: text.slice(from, close).trim() });
    i = close + closer.length;
  }
  return spans;
}

/** Text up to the end of its first sentence (a period before a space, or a newline), math spans kept whole. */
function firstSentence(text: string): string {
  const spans = mathSpans(text);
  const end = /\.(?:\s|$)|\n|[!?](?:\s|$)/g;
  let j = 0; // spans and matches both advance left to right: linear
  for (let m = end.exec(text); m; m = end.exec(text)) {
    while (j < spans.length && spans[j].end - 1 <= m.index) j++;
    const inSpan = j < spans.length && m.index > spans[j].start;
    if (!inSpan) return text.slice(0, m.index);
  }
  return text;
}

const COPULA = /\b(?:is|are|was|were|equals?|gives?|get|gets|obtain|becomes?|be|yields?|remains?)\b\s*:?|:/i;
const COPULAS = new RegExp(COPULA.source, 'gi');
/** Between two values that are one answer: "and", "or", commas. */
const JOINER = /^(?:[\s,;]|\band\b|\bor\b|\\text\s*\{\s*(?:and|or)\s*\})*$/i;
const TRIVIAL_SPAN = /^[A-Za-z]$/;

/**
 * The answer in one sentence of prose holding math: the values after its last copula ("the pair
 * is $(4,5)$", "we get $m=3$ and $n=8$"), values joined only by "and"/"or"/commas taken together;
 * without a copula, the last span that is not a lone variable.
 */
function answerFromSpans(text: string, spans: Span[]): string | null {
  if (spans.length === 0) return null;
  let from = 0;
  for (let k = 0; k < spans.length; k++) {
    const gap = text.slice(k === 0 ? 0 : spans[k - 1].end, spans[k].start);
    if (COPULA.test(gap)) from = k;
  }
  const after = spans.slice(from);
  const candidates = after.some((s) => !TRIVIAL_SPAN.test(s.content)) ? after : spans;
  const hasCopula = from > 0 || COPULA.test(text.slice(0, spans[0].start));
  let first = hasCopula ? candidates.findIndex((s) => !TRIVIAL_SPAN.test(s.content)) : -1;
  if (first < 0) {
    first = candidates.length - 1;
    while (first > 0 && TRIVIAL_SPAN.test(candidates[first].content)) first--;
    while (first > 0 && JOINER.test(text.slice(candidates[first - 1].end, candidates[first].start))) first--;
  }
  const group = [candidates[first]];
  for (let k = first + 1; k < candidates.length && JOINER.test(text.slice(candidates[k - 1].end, candidates[k].start)); k++) group.push(candidates[k]);
  const last = group[group.length - 1];
  const unit = /^\s*([A-Za-z]+(?:\^\{?[23]\}?|[²³])?)/.exec(text.slice(last.end));
  const tail = unit && /^\d|[\d}]$/.test(last.content) && isUnitWord(unit[1].replace(/\^.*|[²³]/, '')) ? ` ${unit[1]}` : '';
  return group.map((s) => s.content).join(', ') + tail;
}

const CUT_WORDS = /\s+(?:because|since|as|which|when|where|so|but|if|for|with|given|after|attained|achieved|occurs?)\b[\s\S]*$/i;
const HEDGE_WORDS = /^(?:approximately|about|exactly|roughly|around|precisely|just|only|then|therefore|thus|so|that)\s+/i;

/** The answer in a phrase after a cue ("the largest $k$ is 12", "5 because ...", "$24$"). */
function answerFromPhrase(text: string): string {
  const phrase = text.replace(/\*\*|__/g, '');
  const spans = mathSpans(phrase);
  let copulaEnd = -1;
  for (const m of phrase.matchAll(COPULAS)) {
    if (!spans.some((s) => m.index! >= s.start && m.index! < s.end)) copulaEnd = m.index! + m[0].length;
  }
  const tail = copulaEnd >= 0 ? phrase.slice(copulaEnd) : phrase;
  const tailSpans = mathSpans(tail);
  if (tailSpans.length > 0) return answerFromSpans(tail, tailSpans) ?? tail;
  let t = tail.replace(CUT_WORDS, '').trim();
  while (HEDGE_WORDS.test(t)) t = t.replace(HEDGE_WORDS, '');
  return proseWords(t) >= 2 ? (lastNumber(t) ?? t) : t;
}

/** English words (3+ letters) outside LaTeX commands and \text{}; "and"/"or" do not count. */
function proseWords(s: string): number {
  const bare = s.replace(/\\(?:text|mbox|mathrm|textbf|begin|end)\s*\{[^{}]*\}/g, ' ').replace(/\\[A-Za-z]+/g, ' ');
  return (bare.match(/\b[A-Za-z]{3,}\b/g) ?? []).filter((w) => !/^(?:and|or)$/i.test(w)).length;
}

/** The answer in the last sentence of the text that holds math. */
function lastMath(text: string): string | null {
  const spans = mathSpans(text);
  if (spans.length === 0) return null;
  let first = spans.length - 1;
  while (first > 0 && !/\.\s|\n|[!?]\s/.test(text.slice(spans[first - 1].end, spans[first].start))) first--;
  const start = first === 0 ? 0 : Math.max(...['. ', '.\n', '\n', '! ', '? '].map((d) => text.lastIndexOf(d, spans[first].start) + 1));
  const sentenceEnd = /\.\s|\n|[!?]\s/g;
  sentenceEnd.lastIndex = spans[spans.length - 1].end;
  const endMatch = sentenceEnd.exec(text);
  const sentence = text.slice(start, endMatch ? endMatch.index : text.length);
  return answerFromSpans(sentence, mathSpans(sentence));
}

function gsm8k(text: string): string | null {
  const at = text.lastIndexOf('####');
  if (at < 0) return null;
  const line = text.slice(at + 4).split('\n')[0].trim();
  return line === '' ? null : line;
}

/** The last number (thousands separators, a decimal comma) with the unit or counted noun right after it. */
function lastNumber(text: string): string | null {
  const re = /-?(?:\d+\/\d+|\d{1,3}(?: \d{3})+(?![\d.,])|\d+(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:[.,]\d+)?|\.\d+)(?:\s*(?:\\?%|°|€|\\\$))?(?:\s+([A-Za-z]+(?:\^\{?[23]\}?|[²³])?))?/g;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  if (!last) return null;
  const word = last[1];
  const value = word && !/^(?:and|or|to|of|in|is|by|the)$/i.test(word) ? last[0] : last[0].slice(0, last[0].length - (word?.length ?? 0)).trim();
  // "3, 4, and 5": a list of numbers ending the text is one answer.
  // "maybe 7 or 8" is a hedge: both values are the answer, so it matches neither alone.
  const list = /(?:-?\d+(?:\.\d+)?(?:,\s+(?:and\s+|or\s+)?|\s+or\s+))+$/.exec(text.slice(0, last.index));
  return list && !word ? `${list[0].replace(/\b(?:and|or)\b/g, ',').replace(/,\s*,/g, ',')}${value}` : value;
}

/** A short single-line response that is an answer, not prose ("Answer 7" and "She has 5" are prose). */
function whole(text: string): string | null {
  const t = text.trim();
  if (t === '' || t.length > WHOLE_MAX_CHARS || t.includes('\n')) return null;
  const words = proseWords(t);
  return (words >= 1 && /\d/.test(t)) || words >= 3 ? null : t;
}

const IMPLEMENTATIONS: Record<Extractor, (text: string) => string | null> = {
  boxed: lastBoxed,
  answer_tag: answerTag,
  final_answer: finalAnswer,
  gsm8k,
  last_math: lastMath,
  last_number: lastNumber,
  whole,
  verbatim: (text) => text,
};

/** Chat-template role header at the start of a response. */
const ROLE_HEADER = /^\s*(?:<\|im_start\|>\s*assistant\b|<\|start_header_id\|>\s*assistant\s*<\|end_header_id\|>|<\|assistant\|>|<start_of_turn>\s*model\b)/;
/** Chat-template tokens that end the model's turn: what follows is not its answer. */
const TURN_END = /<\|(?:im_end|im_start|endoftext|end_of_text|eot_id|eom_id|start_header_id|end|user|system|assistant)\|>|<\/s>|<end_of_turn>|<start_of_turn>|<[|｜]end▁of▁sentence[|｜]>/;

/** The response up to the end of the model's turn (a generation that ran on into a new turn is cut). */
export function stripChatTemplate(text: string): string {
  const head = ROLE_HEADER.exec(text);
  const body = head ? text.slice(head[0].length) : text;
  const end = TURN_END.exec(body);
  return end ? body.slice(0, end.index) : body;
}

export function extractAnswer(text: string, extractors: readonly Extractor[] = DEFAULT_EXTRACTORS): Extraction | null {
  const response = extractors.length === 1 && extractors[0] === 'verbatim' ? text : stripChatTemplate(text);
  for (const by of extractors) {
    const answer = IMPLEMENTATIONS[by](by === 'verbatim' ? text : response);
    if (answer !== null && answer.trim() !== '') return { answer: answer.trim(), by };
  }
  return null;
}

/**
 * A reference answer is usually bare, but may arrive as `$...$`, `\boxed{...}` or a worked GSM8K
 * solution ending in `#### N`.
 */
export function goldAnswer(gold: string): string {
  return lastBoxed(gold) ?? gsm8k(gold) ?? gold.trim();
}
