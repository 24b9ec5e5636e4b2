/**
 * ROUGE-L and exact match for partial-prompt completion probes.
 *
 * Tokenization is rouge-score's default tokenizer (google-research/rouge, `tokenize.py`) with
 * `use_stemmer=False`: lowercase, every run of characters outside [a-z0-9] becomes a space, split
 * on whitespace. So punctuation and LaTeX symbols are not tokens: "$x^2+1$" → ["x", "2", "1"].
 */

export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t !== '');
}

/** Length of the longest common subsequence, O(|a|·|b|) time and O(|b|) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Uint32Array(b.length + 1);
  let row = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      row[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    }
    [prev, row] = [row, prev];
  }
  return prev[b.length];
}

export interface RougeScore {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * ROUGE-L of `prediction` against `reference`: LCS over rouge tokens, precision = LCS/|prediction|,
 * recall = LCS/|reference|, F1 = 2PR/(P+R). All zero when either side has no tokens (as rouge-score).
 */
export function rougeL(reference: string, prediction: string): RougeScore {
  const ref = rougeTokens(reference);
  const pred = rougeTokens(prediction);
  if (ref.length === 0 || pred.length === 0) return { precision: 0, recall: 0, f1: 0 };
  const lcs = lcsLength(ref, pred);
  const precision = lcs / pred.length;
  const recall = lcs / ref.length;
  return {
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
  };
}

/** Whitespace runs collapsed to one space, ends trimmed. */
export function normalizeWhitespace(text: string): string {
  return words(text).join(' ');
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

/** Equal after whitespace normalization (case and punctuation count). */
export function exactMatch(reference: string, prediction: string): boolean {
  return normalizeWhitespace(reference) === normalizeWhitespace(prediction);
}

/** The first `n` whitespace-separated words of `text`, joined by single spaces. */
export function firstWords(text: string, n: number): string {
  return words(text).slice(0, n).join(' ');
}

/** Number of whitespace-separated words. */
export function wordCount(text: string): number {
  return words(text).length;
}
