/**
 * DeepSeek-R1's readability filter for rejection-sampled reasoning data: drop responses cut off by
 * the token limit or longer than a budget, responses that are not in the R1 format when asked,
 * and chains of thought not written in the target language (the language-consistency reward's
 * share of words in the target script); optionally collapse near-identical texts.
 */
import { z } from 'zod';
import { format, languageConsistency, languageConsistencySchema } from '../rewards/text.ts';

export const readabilitySchema = z.strictObject({
  /** Drop responses that hit the token limit (finish_reason length). */
  drop_truncated: z.boolean().default(true),
  /** Drop responses longer than this many tokens (null: no limit beyond the sampling limit). */
  max_tokens: z.number().int().positive().nullable().default(null),
  /** Target language of the chain of thought (null: no language check). */
  language: languageConsistencySchema.shape.language.unwrap().nullable().default(null),
  /** Least share of the reasoning's words in the target language's script. */
  min_language_share: z.number().min(0).max(1).default(1),
  /** 'r1': the whole response must be <think>…</think><answer>…</answer>. */
  require_format: z.enum(['none', 'r1']).default('none'),
  /** exact: distinct texts per problem; normalized: also ignoring case and whitespace; none: keep repeats. */
  dedup: z.enum(['exact', 'normalized', 'none']).default('exact'),
  /** Most samples kept per problem (null: all that pass). */
  max_per_prompt: z.number().int().positive().nullable().default(null),
});

export type Readability = z.output<typeof readabilitySchema>;
export const defaultReadability: Readability = readabilitySchema.parse({});

export type RejectReason = 'truncated' | 'overlong' | 'format' | 'language' | 'incorrect' | 'duplicate' | 'over_cap';

/** Why a response fails the readability checks that do not need the verifier, or null. */
export async function readabilityReject(text: string, tokens: number, finishReason: 'stop' | 'length', f: Readability): Promise<RejectReason | null> {
  if (f.drop_truncated && finishReason === 'length') return 'truncated';
  if (f.max_tokens !== null && tokens > f.max_tokens) return 'overlong';
  if (f.require_format === 'r1' && (await format().score({ prompt: '', responses: [text] }))[0].score < 1) return 'format';
  if (f.language !== null) {
    const share = (await languageConsistency({ language: f.language }).score({ prompt: '', responses: [text] }))[0].score;
    if (share < f.min_language_share) return 'language';
  }
  return null;
}

export function dedupKey(text: string, mode: Readability['dedup']): string | null {
  if (mode === 'none') return null;
  return mode === 'exact' ? text : text.toLowerCase().replace(/\s+/g, ' ').trim();
}
