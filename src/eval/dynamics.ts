/**
 * Training-dynamics statistics of a set of responses (DeepSeek-R1 §2.2.4): response length
 * (mean and percentiles), how often reflective phrases appear ("wait", "let me check", …), how
 * often a response mixes languages, and the share cut off by the token limit. Used per step in
 * the trainer's metrics.jsonl and per evaluation in results.json.
 */

/** The default reflective phrases, English and Chinese. */
export const DEFAULT_REFLECTIVE_PHRASES = ['wait', 'let me check', 're-evaluate', 'verify', 'mistake', '等等', '让我检查', '重新评估', '验证', '错误'];

/** Minority-script share of a response's words at which it counts as mixing languages. */
export const DEFAULT_MIXING_MIN_SHARE = 0.05;

export interface DynamicsOptions {
  phrases?: readonly string[];
  mixingMinShare?: number;
}

export interface ResponseInfo {
  text: string;
  tokens: number;
  truncated: boolean;
}

export interface Dynamics {
  responses: number;
  response_length_mean: number;
  response_length_p10: number;
  response_length_p50: number;
  response_length_p90: number;
  response_length_max: number;
  /** Share of responses with at least one reflective phrase. */
  reflective_rate: number;
  /** Mean number of reflective-phrase occurrences per response. */
  reflective_per_response: number;
  /** Per phrase: share of responses containing it. */
  reflective_phrases: Record<string, number>;
  language_mixing_rate: number;
  truncated_share: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const hasLatin = (s: string) => /\p{Script=Latin}/u.test(s);

/**
 * A phrase matcher. Phrases with Latin letters match case-insensitively as whole words (not
 * inside a longer word: "wait" does not match "waiting"), any run of spaces matches a space, and
 * a hyphen may also be a space or nothing ("re-evaluate", "re evaluate", "reevaluate"). Other
 * phrases (Chinese) match as substrings.
 */
export function phraseMatcher(phrase: string): RegExp {
  const body = phrase
    .trim()
    .split(/\s+/)
    .map((w) => w.split('-').map(escape).join('[-\\s]?'))
    .join('\\s+');
  return hasLatin(phrase) ? new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, 'giu') : new RegExp(body, 'gu');
}

export function countPhrase(text: string, matcher: RegExp): number {
  return text.match(matcher)?.length ?? 0;
}

const SCRIPT_OF: Array<[string, RegExp]> = [
  ['Han', /\p{Script=Han}/u],
  ['Kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Latin', /\p{Script=Latin}/u],
];

/**
 * Words per script. Words are runs of letters; each Han or kana character is a word (those
 * scripts do not separate words). LaTeX commands and single-letter words of alphabetic scripts
 * (math variables: x, n, α) are not words.
 */
function scriptCounts(text: string): Map<string, number> {
  const words = text.replace(/\\[A-Za-z]+/g, ' ').match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{M}]+/gu) ?? [];
  const counts = new Map<string, number>();
  for (const w of words) {
    const script = SCRIPT_OF.find(([, re]) => re.test(w))?.[0] ?? 'Other';
    if (w.length === 1 && script !== 'Han' && script !== 'Kana') continue;
    counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  return counts;
}

/** A response mixes languages when words outside its dominant script are at least `minShare` of its words. */
export function isLanguageMixed(text: string, minShare = DEFAULT_MIXING_MIN_SHARE): boolean {
  const counts = [...scriptCounts(text).values()];
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0 || counts.length < 2) return false;
  return (total - Math.max(...counts)) / total >= minShare;
}

/** Linear-interpolation percentile (NumPy's default) of sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function computeDynamics(responses: readonly ResponseInfo[], opts: DynamicsOptions = {}): Dynamics {
  const phrases = opts.phrases ?? DEFAULT_REFLECTIVE_PHRASES;
  const matchers = phrases.map((p) => [p, phraseMatcher(p)] as const);
  const n = responses.length;
  const lengths = responses.map((r) => r.tokens).sort((a, b) => a - b);
  const perPhrase = Object.fromEntries(phrases.map((p) => [p, 0]));
  let withAny = 0;
  let occurrences = 0;
  let mixed = 0;
  for (const r of responses) {
    let any = false;
    for (const [p, m] of matchers) {
      const c = countPhrase(r.text, m);
      if (c > 0) {
        perPhrase[p]++;
        any = true;
      }
      occurrences += c;
    }
    if (any) withAny++;
    if (isLanguageMixed(r.text, opts.mixingMinShare)) mixed++;
  }
  const share = (k: number) => (n ? k / n : 0);
  return {
    responses: n,
    response_length_mean: share(lengths.reduce((a, b) => a + b, 0)),
    response_length_p10: percentile(lengths, 0.1),
    response_length_p50: percentile(lengths, 0.5),
    response_length_p90: percentile(lengths, 0.9),
    response_length_max: lengths.at(-1) ?? 0,
    reflective_rate: share(withAny),
    reflective_per_response: share(occurrences),
    reflective_phrases: Object.fromEntries(Object.entries(perPhrase).map(([p, k]) => [p, share(k)])),
    language_mixing_rate: share(mixed),
    truncated_share: share(responses.filter((r) => r.truncated).length),
  };
}

/** The flat fields a metrics.jsonl line gets (`reflective/<phrase>` per phrase). */
export function dynamicsMetrics(d: Dynamics): Record<string, number> {
  return {
    response_length_p10: d.response_length_p10,
    response_length_p50: d.response_length_p50,
    response_length_p90: d.response_length_p90,
    reflective_rate: d.reflective_rate,
    reflective_per_response: d.reflective_per_response,
    ...Object.fromEntries(Object.entries(d.reflective_phrases).map(([p, v]) => [`reflective/${p}`, v])),
    language_mixing_rate: d.language_mixing_rate,
    truncated_share: d.truncated_share,
  };
}
