/**
 * The one forward pass every analysis uses: a batch of teacher-forced items through a model with a
 * hook plan, returning per item the gold answer's log-probability (summed over its tokens) and
 * whether greedy decoding would produce it (every answer token is the argmax after the fixed
 * context: the greedy continuation starts with the answer), plus the cached activations. Only
 * [B, T] values leave the graph, never [B, T, vocab] logits.
 */
import { type CausalLM, rightPadded } from '../model/causal-lm.ts';
import type { HookPlan } from '../model/hooks.ts';
import * as T from '../tensor/index.ts';
import { type InterpItem, predictingPosition } from './items.ts';

const LENGTH_BUCKET = 16;

export interface ItemMetrics {
  logprob: number;
  correct: number;
}

/** Padded length of a batch (multiples of 16: few distinct graphs). */
export function batchLength(batch: readonly InterpItem[]): number {
  return Math.ceil(Math.max(...batch.map((b) => b.ids.length)) / LENGTH_BUCKET) * LENGTH_BUCKET;
}

export async function forwardItems(
  lm: CausalLM,
  batch: readonly InterpItem[],
  plan: HookPlan = {},
  feeds: Record<string, Float32Array> = {},
): Promise<{ t: number; metrics: ItemMetrics[]; acts: Record<string, Float32Array> }> {
  const b = batch.length;
  const t = batchLength(batch);
  const padded = rightPadded(batch.map((x) => x.ids), t, lm.padId);
  const graph = await lm.compiled(`interp:${b}x${t}`, plan, (io) => {
    const out = io.forward({
      inputIds: io.input('input_ids', 'int64', [b, t]),
      positions: io.input('positions', 'int64', [b, t]),
      attnBias: io.input('attn_bias', 'float32', [b, 1, 1, t, t]),
    });
    const targets = T.reshape(io.input('targets', 'int64', [b, t]), [b, t, 1]);
    const picked = T.gatherElements(out.logits, targets, 2);
    const logprobs = T.reshape(T.gatherElements(T.logSoftmax(out.logits, -1), targets, 2), [b, t]);
    const top = T.reshape(T.cast(T.greaterOrEqual(picked, T.reduceMax(out.logits, [-1], true)), 'float32'), [b, t]);
    return { logprobs, top, ...Object.fromEntries(Object.entries(out.hooked).map(([k, v]) => [`act:${k}`, v])) };
  });
  const targets = new BigInt64Array(b * t).fill(BigInt(lm.padId));
  batch.forEach((x, i) => x.answerIds.forEach((id, k) => (targets[i * t + predictingPosition(x, k)] = BigInt(id))));
  const out = await graph.run({ ...lm.paramFeeds(), ...feeds, input_ids: padded.ids, positions: padded.positions, attn_bias: padded.bias, targets });
  const lp = out.logprobs as Float32Array;
  const top = out.top as Float32Array;
  const metrics = batch.map((x, i) => {
    let logprob = 0;
    let correct = 1;
    x.answerIds.forEach((_, k) => {
      const p = i * t + predictingPosition(x, k);
      logprob += lp[p];
      if (top[p] < 0.5) correct = 0;
    });
    return { logprob, correct };
  });
  const acts: Record<string, Float32Array> = {};
  for (const name of plan.cache ?? []) acts[name] = out[`act:${name}`] as Float32Array;
  return { t, metrics, acts };
}

/** Metrics of every item (in batches), with an optional per-batch hook plan and feeds. */
export async function evaluateItems(
  lm: CausalLM,
  batches: readonly (readonly InterpItem[])[],
  setup: (batch: readonly InterpItem[], t: number) => { plan?: HookPlan; feeds?: Record<string, Float32Array> } = () => ({}),
): Promise<{ logprob: number[]; correct: number[] }> {
  const logprob: number[] = [];
  const correct: number[] = [];
  for (const batch of batches) {
    const { plan, feeds } = setup(batch, batchLength(batch));
    const { metrics } = await forwardItems(lm, batch, plan, feeds);
    for (const m of metrics) {
      logprob.push(m.logprob);
      correct.push(m.correct);
    }
  }
  return { logprob, correct };
}
