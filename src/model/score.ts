/**
 * Scoring given completions under given prompts: per completion token, its log-probability and
 * the entropy of the model's next-token distribution. Prompt and completion are tokenized
 * separately and concatenated, as TRL and verl do.
 */
import type { TokenScores } from '../backends/policy.ts';
import * as T from '../tensor/index.ts';
import { UserError } from '../util/errors.ts';
import { type CausalLM, type GraphIO, rightPadded } from './causal-lm.ts';

const LENGTH_BUCKET = 16;

/**
 * Per target position (t predicts token t+1) log-probabilities, entropies and self-certainty of a
 * right-padded batch. Self-certainty (INTUITOR) is logsumexp(z) − mean(z) − log|V| = −mean(log p) − log|V|.
 */
export function traceTokenScores(io: GraphIO, b: number, t: number): { logprobs: T.Tensor; entropy: T.Tensor; selfCertainty: T.Tensor } {
  const { logits } = io.forward({
    inputIds: io.input('input_ids', 'int64', [b, t]),
    positions: io.input('positions', 'int64', [b, t]),
    attnBias: io.input('attn_bias', 'float32', [b, 1, 1, t, t]),
  });
  const picked = T.targetLogprobs(logits, io.input('targets', 'int64', [b, t]));
  // only entropy and self-certainty read the full log-probabilities (pruned from graphs that do not output them)
  const logp = T.logSoftmax(logits, -1);
  const entropy = T.neg(T.reduceSum(T.mul(T.exp(logp), logp), [-1]));
  const selfCertainty = T.sub(T.neg(T.reduceMean(logp, [-1])), Math.log(logits.shape[logits.rank - 1]));
  return { logprobs: picked, entropy, selfCertainty };
}

/** Next-token targets of a right-padded batch (the pad id where there is no next token). */
export function shiftedTargets(ids: BigInt64Array, b: number, t: number, pad: number): BigInt64Array {
  const targets = new BigInt64Array(b * t).fill(BigInt(pad));
  for (let i = 0; i < b; i++) for (let j = 0; j + 1 < t; j++) targets[i * t + j] = ids[i * t + j + 1];
  return targets;
}

export function tokenizePair(lm: CausalLM, prompt: string, completion: string): { promptIds: number[]; completionIds: number[] } {
  const promptIds = lm.tokenizer.encode(prompt);
  const completionIds = lm.tokenizer.encode(completion, { addSpecialTokens: false });
  if (promptIds.length === 0) throw new UserError('scoring needs a non-empty prompt (the first completion token is predicted from it)');
  return { promptIds, completionIds };
}

export async function scoreIds(
  lm: CausalLM,
  pairs: ReadonlyArray<{ promptIds: number[]; completionIds: number[] }>,
  opts: { maxBatch?: number; selfCertainty?: boolean; entropies?: boolean } = {},
): Promise<TokenScores & { selfCertainty?: number[][] }> {
  const maxBatch = opts.maxBatch ?? 16;
  // entropies cost a full pass over the vocabulary per position (≈ 28% of scoring at 0.5B): only when asked
  const withEntropy = opts.entropies === true;
  const result: TokenScores & { selfCertainty?: number[][] } = { promptTokenIds: [], completionTokenIds: [], logprobs: [], entropies: withEntropy ? [] : null };
  if (opts.selfCertainty) result.selfCertainty = [];
  for (let start = 0; start < pairs.length; start += maxBatch) {
    const chunk = pairs.slice(start, start + maxBatch);
    const rows = chunk.map((p) => [...p.promptIds, ...p.completionIds]);
    const longest = Math.max(...rows.map((r) => r.length));
    if (longest > lm.config.maxPositionEmbeddings) {
      throw new UserError(`a prompt + completion of ${longest} tokens exceeds max_position_embeddings ${lm.config.maxPositionEmbeddings}`);
    }
    const t = Math.ceil(longest / LENGTH_BUCKET) * LENGTH_BUCKET;
    const b = chunk.length;
    const batch = rightPadded(rows, t, lm.padId);
    const graph = await lm.compiled(`score:${b}x${t}:${opts.selfCertainty ? 'sc' : ''}:${withEntropy ? 'ent' : ''}`, undefined, (io): Record<string, T.Tensor> => {
      const { logprobs, entropy, selfCertainty } = traceTokenScores(io, b, t);
      return { logprobs, ...(withEntropy ? { entropy } : {}), ...(opts.selfCertainty ? { selfCertainty } : {}) };
    });
    const out = await graph.run({
      ...lm.paramFeeds(),
      input_ids: batch.ids,
      positions: batch.positions,
      attn_bias: batch.bias,
      targets: shiftedTargets(batch.ids, b, t, lm.padId),
    });
    const lp = out.logprobs as Float32Array;
    const ent = out.entropy as Float32Array | undefined;
    chunk.forEach((p, i) => {
      // completion token k sits at position P+k and is predicted at position P+k−1
      const from = i * t + p.promptIds.length - 1;
      const to = from + p.completionIds.length;
      result.promptTokenIds.push(p.promptIds);
      result.completionTokenIds.push(p.completionIds);
      result.logprobs.push(Array.from(lp.subarray(from, to)));
      if (ent) result.entropies!.push(Array.from(ent.subarray(from, to)));
      result.selfCertainty?.push(Array.from((out.selfCertainty as Float32Array).subarray(from, to)));
    });
  }
  return result;
}
