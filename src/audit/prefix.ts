/**
 * Splitting a question into the prefix shown to the model and the remainder it should reproduce.
 *
 * Character level follows the reference code of arXiv 2507.10532 (`truncate_prompt` in
 * wumingqi/LLM-Math-Evaluation, math_evaluation/inference_vllm.py): cut after ⌊len·ratio⌋ code
 * points, move the cut forward to the next delimiter (space, newline, `,.!?)]}`) or the end so no
 * word is split, drop trailing whitespace from the prefix; the remainder is the rest of the
 * question with surrounding whitespace trimmed.
 */

export interface PrefixSplit {
  prefix: string;
  remainder: string;
}

/** Minimal tokenizer surface for token-level splits. */
export interface SplitTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[]): string;
}

const DELIMITERS = new Set([' ', '\n', ',', '.', '!', '?', ')', ']', '}']);

export function splitByCharacters(question: string, ratio: number): PrefixSplit {
  const chars = Array.from(question);
  let cut = Math.floor(chars.length * ratio);
  while (cut < chars.length && !DELIMITERS.has(chars[cut])) cut++;
  const prefix = chars.slice(0, cut).join('').trimEnd();
  return { prefix, remainder: question.slice(prefix.length).trim() };
}

/**
 * Token level: the first ⌊n·ratio⌋ of the question's n tokens (no special tokens), decoded; the
 * remainder is the decoded rest. Whitespace is trimmed as at character level.
 */
export function splitByTokens(question: string, ratio: number, tokenizer: SplitTokenizer): PrefixSplit {
  const ids = tokenizer.encode(question, { addSpecialTokens: false });
  const cut = Math.floor(ids.length * ratio);
  return {
    prefix: tokenizer.decode(ids.slice(0, cut)).trimEnd(),
    remainder: tokenizer.decode(ids.slice(cut)).trim(),
  };
}
