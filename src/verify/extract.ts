import { matchClose } from './latex.ts';

/** Where an answer can be found in a response; tried in the configured order, first hit wins. */
export type Extractor = 'boxed' | 'answer_tag' | 'final_answer' | 'gsm8k' | 'last_number' | 'whole' | 'verbatim';

export const EXTRACTORS: readonly Extractor[] = ['boxed', 'answer_tag', 'final_answer', 'gsm8k', 'last_number', 'whole', 'verbatim'];

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
  lenient: [...DEFAULT_EXTRACTORS, 'last_number'],
  cli: [...DEFAULT_EXTRACTORS, 'whole'],
  answer: ['verbatim'],
};

export interface Extraction {
  answer: string;
  by: Extractor;
}

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

/** Text between two boxes that only joins alternatives: "or", "and", commas, slashes. */
const CONNECTOR = /^(?:[\s$.,;/]|or|and|either)*$/i;

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
  const re = /(?:(?:final answer|the answer)\s*(?:is|:)|\banswer\s*:)\s*:?\s*/gi;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m;
  if (!last) return null;
  const rest = text.slice(last.index + last[0].length);
  const boxed = /^\$*\s*\\(?:boxed|fbox)/.test(rest) ? lastBoxed(rest) : null;
  if (boxed !== null) return boxed;
  if (rest.startsWith('$')) {
    const close = rest.indexOf('$', 1 + (rest[1] === '$' ? 1 : 0));
    if (close > 0) return rest.slice(0, close + 1);
  }
  // Plain text: up to the end of the line or a sentence-ending period (not a decimal point).
  const m = /^(.*?)(?:\.(?:\s|$)|\n|$)/.exec(rest);
  return m && m[1].trim() !== '' ? m[1] : null;
}

function gsm8k(text: string): string | null {
  const at = text.lastIndexOf('####');
  if (at < 0) return null;
  const line = text.slice(at + 4).split('\n')[0].trim();
  return line === '' ? null : line;
}

function lastNumber(text: string): string | null {
  const m = text.match(/-?(?:\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)/g);
  return m ? m[m.length - 1] : null;
}

function whole(text: string): string | null {
  const t = text.trim();
  return t !== '' && t.length <= WHOLE_MAX_CHARS && !t.includes('\n') ? t : null;
}

const IMPLEMENTATIONS: Record<Extractor, (text: string) => string | null> = {
  boxed: lastBoxed,
  answer_tag: answerTag,
  final_answer: finalAnswer,
  gsm8k,
  last_number: lastNumber,
  whole,
  verbatim: (text) => text,
};

export function extractAnswer(text: string, extractors: readonly Extractor[] = DEFAULT_EXTRACTORS): Extraction | null {
  for (const by of extractors) {
    const answer = IMPLEMENTATIONS[by](text);
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
