/** Per-token logprob payloads in the OpenAI shapes. */
import type { Tokenizer } from '../model/tokenizer.ts';

/** Each token's text as incremental detokenization releases it (special tokens as ''), so the pieces concatenate to the decoded text. */
export function tokenPieces(tokenizer: Tokenizer, ids: readonly number[]): string[] {
  const decoder = tokenizer.streamDecoder({ skipSpecialTokens: true });
  const pieces = ids.map((id) => decoder.push(id));
  if (pieces.length > 0) pieces[pieces.length - 1] += decoder.flush();
  return pieces;
}

/** The legacy completions `logprobs` object: tokens, token_logprobs, top_logprobs (null: not computed), text_offset. */
export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: null;
  text_offset: number[];
}

/**
 * Tokens shown as their text, or as `token_id:N` when the request asked for
 * `return_tokens_as_token_ids` (vLLM's extension); offsets count characters from `startOffset`.
 */
export function completionLogprobs(
  pieces: readonly string[],
  ids: readonly number[],
  logprobs: ReadonlyArray<number | null>,
  startOffset: number,
  asIds: boolean,
): CompletionLogprobs {
  const text_offset: number[] = [];
  let at = startOffset;
  for (const piece of pieces) {
    text_offset.push(at);
    at += piece.length;
  }
  return {
    tokens: asIds ? ids.map((id) => `token_id:${id}`) : [...pieces],
    token_logprobs: [...logprobs],
    top_logprobs: null,
    text_offset,
  };
}

/** The chat `logprobs.content` list; top_logprobs is empty (alternatives are not computed). */
export function chatLogprobs(
  pieces: readonly string[],
  ids: readonly number[],
  logprobs: readonly number[],
  asIds: boolean,
): Array<{ token: string; logprob: number; bytes: number[]; top_logprobs: [] }> {
  return pieces.map((piece, i) => ({
    token: asIds ? `token_id:${ids[i]}` : piece,
    logprob: logprobs[i],
    bytes: [...Buffer.from(piece, 'utf8')],
    top_logprobs: [],
  }));
}
