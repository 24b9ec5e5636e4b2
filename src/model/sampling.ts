/** Choosing the next token from a row of logits: greedy, temperature, top-k, top-p (nucleus). */
import { Rng } from '../util/rng.ts';

/**
 * Temperatures below this sample greedily, as vLLM does (its _SAMPLING_EPS): 1 / t overflows to
 * Infinity for t below ~5.6e-309, which turned the weights into NaN and always drew the last
 * candidate; and anything this cold is argmax except for ties within ~1e-5 of a logit.
 */
const GREEDY_BELOW_TEMPERATURE = 1e-5;

export interface SamplerParams {
  /** Below GREEDY_BELOW_TEMPERATURE (0 included) greedy: argmax, the lowest id wins a tie. */
  temperature: number;
  topP: number;
  topK: number;
}

function maxOf(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  return max;
}

/** log-sum-exp of a row, computed stably (`max` is the row's maximum, when already known). */
export function logSumExp(row: Float32Array, max = maxOf(row)): number {
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return max + Math.log(sum);
}

/**
 * The next token and its log-probability (NaN when `withLogprob` is false) under the unmodified model distribution (before
 * temperature, top-k and top-p), which is what RL ratios and KL terms need. Only ids below
 * `tokenizerSize` are drawn: checkpoints pad the embedding past the tokenizer (Qwen2: 151,936 rows
 * for 151,665 tokens), and an id with no text cannot be decoded.
 */
export function sampleToken(
  row: Float32Array,
  p: SamplerParams,
  rng: Rng,
  tokenizerSize = row.length,
  withLogprob = true,
): { token: number; logprob: number } {
  const drawable = Math.min(tokenizerSize, row.length);
  if (p.temperature < GREEDY_BELOW_TEMPERATURE) return greedy(row, drawable, withLogprob);
  const token = sampleFiltered(row.subarray(0, drawable), p, rng);
  return { token, logprob: withLogprob ? row[token] - logSumExp(row) : NaN };
}

/**
 * Argmax over the drawable ids and the row's max in one pass; the exponentials (the costly part
 * over a 151,936-wide vocabulary) only when the log-probability is wanted.
 */
function greedy(row: Float32Array, drawable: number, withLogprob: boolean): { token: number; logprob: number } {
  let best = 0;
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const x = row[i];
    if (x > max) max = x;
    if (i < drawable && x > row[best]) best = i;
  }
  return { token: best, logprob: withLogprob ? row[best] - logSumExp(row, max) : NaN };
}

function sampleFiltered(row: Float32Array, p: SamplerParams, rng: Rng): number {
  const v = row.length;
  const inv = 1 / p.temperature;
  const restrict = (p.topK > 0 && p.topK < v) || p.topP < 1;
  // Candidates in descending logit order only when a filter needs the order; else all ids.
  let ids: Int32Array;
  if (restrict) {
    ids = Int32Array.from({ length: v }, (_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
    if (p.topK > 0 && p.topK < v) ids = ids.subarray(0, p.topK);
  } else {
    ids = Int32Array.from({ length: v }, (_, i) => i);
  }
  let max = -Infinity;
  for (const id of ids) max = Math.max(max, row[id] * inv);
  const weights = new Float64Array(ids.length);
  let total = 0;
  for (let i = 0; i < ids.length; i++) {
    weights[i] = Math.exp(row[ids[i]] * inv - max);
    total += weights[i];
  }
  let n = ids.length;
  if (p.topP < 1) {
    // smallest prefix (in descending probability) whose mass reaches top_p; the top token always stays
    let cum = 0;
    for (let i = 0; i < ids.length; i++) {
      cum += weights[i] / total;
      if (cum >= p.topP) {
        n = i + 1;
        break;
      }
    }
    total = 0;
    for (let i = 0; i < n; i++) total += weights[i];
  }
  let u = rng.uniform() * total;
  for (let i = 0; i < n; i++) {
    u -= weights[i];
    if (u < 0) return ids[i];
  }
  return ids[n - 1];
}

function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** A generator for one (prompt, sample) pair, so a completion does not depend on what else shares its batch. */
export function rowRng(seed: number, promptIndex: number, sampleIndex: number): Rng {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  const h = mix32(lo ^ mix32(hi ^ mix32(promptIndex ^ mix32(sampleIndex + 0x9e3779b9))));
  return new Rng(h * 2 ** 21 + (mix32(h ^ promptIndex) >>> 11));
}
