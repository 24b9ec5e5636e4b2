/**
 * What one request may ask of the server, checked in the order that keeps a hostile request cheap:
 * the number of completions (prompts × n) before any row is built, each prompt's length in
 * characters before it is tokenized, and the exact token counts after.
 */
import type { Tokenizer } from '../model/tokenizer.ts';
import { ApiError } from './http.ts';
import type { PromptInput } from './validate.ts';

export interface RequestLimits {
  /** Most completions (prompts × n) one request may ask for; default 4096. */
  maxRows: number;
  /** Most tokens one request may ask for: (prompt tokens + max_tokens) summed over its completions; default 2^22. */
  maxTotalTokens: number;
}

export const defaultRequestLimits: RequestLimits = { maxRows: 4096, maxTotalTokens: 2 ** 22 };

/** The longest text one token can stand for (added tokens included, since encode matches them in text). */
export function maxTokenChars(tokenizer: Tokenizer): number {
  let longest = 1;
  for (let id = 0; id < tokenizer.vocabSize; id++)
    longest = Math.max(longest, tokenizer.idToToken(id)?.length ?? 0);
  return longest;
}

const tooMany = (param: string, message: string) => new ApiError(400, `${param}: ${message}`, param);

export class LimitChecker {
  /**
   * `tokenChars`: see maxTokenChars. A text of c characters has at least ⌈c / tokenChars⌉ tokens
   * (byte-level BPE: a token string has one character per byte; JS length ≤ UTF-8 bytes), which
   * bounds a prompt's tokens without tokenizing it.
   */
  constructor(
    readonly context: number,
    readonly tokenChars: number,
    readonly limits: RequestLimits,
  ) {}

  /** Before any row is built. */
  rows(prompts: number, n: number): void {
    const { maxRows } = this.limits;
    if (prompts > maxRows)
      throw tooMany(
        'prompt',
        `${prompts} prompts; this server takes at most ${maxRows} completions per request`,
      );
    if (prompts * n > maxRows)
      throw tooMany(
        'n',
        `${prompts} prompt(s) × n = ${n} is ${prompts * n} completions; this server takes at most ${maxRows} per request`,
      );
  }

  /** A prompt's fewest possible tokens: exact for token ids, a lower bound for text. */
  leastTokens(p: PromptInput): number {
    return 'tokens' in p ? p.tokens.length : Math.ceil(p.text.length / this.tokenChars);
  }

  /** Before tokenizing: what cannot fit whatever the tokenization. `maxNewTokens` 0 is echo-only scoring. */
  beforeTokenizing(prompts: readonly PromptInput[], n: number, maxNewTokens: number, param = 'prompt'): void {
    const room = this.context - Math.min(1, maxNewTokens);
    let least = 0;
    prompts.forEach((p, i) => {
      const tokens = this.leastTokens(p);
      if (tokens > room) {
        const size =
          'tokens' in p ? `${tokens} tokens` : `${p.text.length} characters (at least ${tokens} tokens)`;
        throw tooMany(
          param,
          `${prompts.length > 1 ? `prompt ${i}` : 'the prompt'} has ${size}; this model's maximum context length is ${this.context} tokens`,
        );
      }
      least += tokens;
    });
    this.total(least * n, prompts.length * n, maxNewTokens, param);
  }

  /** After tokenizing: each prompt against the context, the request against maxTotalTokens. */
  afterTokenizing(promptTokens: readonly number[], n: number, maxNewTokens: number, param = 'prompt'): void {
    promptTokens.forEach((tokens, i) => {
      const which = promptTokens.length > 1 ? `prompt ${i}` : 'the prompt';
      if (tokens + Math.min(1, maxNewTokens) > this.context)
        throw tooMany(
          param,
          `${which} has ${tokens} tokens; this model's maximum context length is ${this.context} tokens`,
        );
      if (tokens + maxNewTokens > this.context)
        throw tooMany(
          'max_tokens',
          `this model's maximum context length is ${this.context} tokens; ${which} has ${tokens} and max_tokens is ${maxNewTokens}`,
        );
    });
    this.total(promptTokens.reduce((s, t) => s + t, 0) * n, promptTokens.length * n, maxNewTokens, param);
  }

  private total(promptTokens: number, rows: number, maxNewTokens: number, param: string): void {
    const { maxTotalTokens } = this.limits;
    if (rows * maxNewTokens > maxTotalTokens)
      throw tooMany(
        'max_tokens',
        `${rows} completions × max_tokens = ${maxNewTokens} is ${rows * maxNewTokens} tokens; this server takes at most ${maxTotalTokens} per request`,
      );
    if (promptTokens + rows * maxNewTokens > maxTotalTokens)
      throw tooMany(
        param,
        `the prompts (${promptTokens} tokens over ${rows} completions) and max_tokens ask for more than this server's ${maxTotalTokens} tokens per request`,
      );
  }
}
