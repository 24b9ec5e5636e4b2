import { z } from 'zod';
import { lastBoxed } from '../verify/extract.ts';
import type { Reward, RewardResult } from './types.ts';

const binary = (ok: boolean, info: Record<string, unknown> = {}): RewardResult => ({ score: ok ? 1 : 0, info });

/** Synchronous per-response rewards become group rewards. */
function perResponse(name: string, fn: (response: string) => RewardResult): Reward {
  return { name, needs: [], score: async (group) => group.responses.map(fn) };
}

const R1_FORMAT = /^\s*<think>[\s\S]*?<\/think>\s*<answer>([\s\S]*?)<\/answer>\s*$/;

export const formatSchema = z.strictObject({});

/** DeepSeek-R1 format: the whole response is <think>…</think><answer>…</answer> (non-empty answer). */
export function format(): Reward {
  return perResponse('format', (r) => {
    const m = R1_FORMAT.exec(r);
    return binary(m !== null && m[1].trim() !== '', { matched: m !== null });
  });
}

export const boxedFormatSchema = z.strictObject({});

/** Spurious control: 1 when the response contains a non-empty \boxed{}. */
export function boxedFormat(): Reward {
  return perResponse('boxed_format', (r) => {
    const boxed = lastBoxed(r);
    return binary(boxed !== null && boxed.trim() !== '', { boxed });
  });
}

export const containsSchema = z.strictObject({
  text: z.string().min(1).default('python'),
  caseSensitive: z.boolean().default(false),
});

/** Spurious control ("code reasoning"): 1 when the response contains the given string. */
export function contains(config: z.infer<typeof containsSchema>): Reward {
  const needle = config.caseSensitive ? config.text : config.text.toLowerCase();
  return perResponse('contains', (r) => binary((config.caseSensitive ? r : r.toLowerCase()).includes(needle), { text: config.text }));
}

/** Unicode scripts by language; a word counts for the language when it is written in its script. */
const SCRIPTS = {
  en: /^\p{Script=Latin}+$/u,
  fr: /^\p{Script=Latin}+$/u,
  de: /^\p{Script=Latin}+$/u,
  es: /^\p{Script=Latin}+$/u,
  zh: /^\p{Script=Han}+$/u,
  ja: /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}ー]+$/u,
  ko: /^\p{Script=Hangul}+$/u,
  ru: /^\p{Script=Cyrillic}+$/u,
  ar: /^\p{Script=Arabic}+$/u,
  hi: /^\p{Script=Devanagari}+$/u,
} as const;

export const languageConsistencySchema = z.strictObject({
  language: z.enum(Object.keys(SCRIPTS) as [keyof typeof SCRIPTS, ...Array<keyof typeof SCRIPTS>]).default('en'),
});

/**
 * DeepSeek-R1's language-consistency reward: the share of words in the reasoning (the
 * <think> block when present, else the whole response) written in the target language's
 * script. Words are runs of letters; each Han/kana character counts as one word since those
 * scripts do not separate words with spaces; numbers and LaTeX commands are not words.
 */
export function languageConsistency(config: z.infer<typeof languageConsistencySchema>): Reward {
  const target = SCRIPTS[config.language];
  return perResponse('language_consistency', (r) => {
    const think = /<think>([\s\S]*?)(?:<\/think>|$)/.exec(r);
    const text = (think ? think[1] : r).replace(/\\[A-Za-z]+/g, ' ');
    const words = text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{M}]+/gu) ?? [];
    const hits = words.filter((w) => target.test(w)).length;
    return { score: words.length === 0 ? 0 : hits / words.length, info: { words: words.length, inLanguage: hits } };
  });
}
