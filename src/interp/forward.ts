/**
 * The one forward pass every analysis uses: a batch of teacher-forced items through a model with a
 * hook plan, returning per item the gold answer's log-probability (summed over its tokens) and
 * whether greedy decoding would produce it (every answer token is the argmax after the fixed
 * context: the greedy continuation starts with the answer), plus the cached activations. The
 * unembedding runs only at the answer-predicting positions (the final norm's output is gathered
 * there), so no [B, T, vocab] tensor exists.
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
  const a = Math.max(...batch.map((x) => x.answerIds.length));
  const d = lm.config.hiddenSize;
  const padded = rightPadded(batch.map((x) => x.ids), t, lm.padId);
  // the unembedding only at the answer-predicting positions: the graph never builds [B, T, vocab]
  const NORMED = 'ln_final.hook_normalized';
  const withNormed = { ...plan, cache: [...new Set([...(plan.cache ?? []), NORMED])] };
  const graph = await lm.compiled(`interp:${b}x${t}x${a}`, withNormed, (io) => {
    const out = io.forward({
      inputIds: io.input('input_ids', 'int64', [b, t]),
      positions: io.input('positions', 'int64', [b, t]),
      attnBias: io.input('attn_bias', 'float32', [b, 1, 1, t, t]),
    });
    const rows = T.gather(T.reshape(out.hooked[NORMED], [b * t, d]), io.input('rows', 'int64', [b * a]), 0);
    const head = lm.config.tieWordEmbeddings ? io.param('model.embed_tokens.weight') : io.param('lm_head.weight');
    const logits = T.linear(rows, head);
    const targets = io.input('targets', 'int64', [b * a]);
    const picked = T.gatherElements(logits, T.reshape(targets, [b * a, 1]), 1);
    const logprobs = T.targetLogprobs(logits, targets);
    const top = T.reshape(T.cast(T.greaterOrEqual(picked, T.reduceMax(logits, [-1], true)), 'float32'), [b * a]);
    const cached = Object.entries(out.hooked).filter(([k]) => (plan.cache ?? []).includes(k));
    return { logprobs, top, ...Object.fromEntries(cached.map(([k, v]) => [`act:${k}`, v])) };
  });
  const rowIdx = new BigInt64Array(b * a);
  const targets = new BigInt64Array(b * a);
  batch.forEach((x, i) => {
    for (let k = 0; k < a; k++) {
      // padding slots repeat the last answer token's row; they are not read back
      const kk = Math.min(k, x.answerIds.length - 1);
      rowIdx[i * a + k] = BigInt(i * t + predictingPosition(x, kk));
      targets[i * a + k] = BigInt(x.answerIds[kk]);
    }
  });
  const out = await graph.run({ ...lm.paramFeeds(), ...feeds, input_ids: padded.ids, positions: padded.positions, attn_bias: padded.bias, rows: rowIdx, targets });
  const lp = out.logprobs as Float32Array;
  const top = out.top as Float32Array;
  const metrics = batch.map((x, i) => {
    let logprob = 0;
    let correct = 1;
    x.answerIds.forEach((_, k) => {
      logprob += lp[i * a + k];
      if (top[i * a + k] < 0.5) correct = 0;
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

/** Activation memory a batch may use (cached activations plus the model's own per-token work, float32). */
const BATCH_BUDGET_BYTES = 512 * 2 ** 20;

/**
 * Items per forward pass when the caller gives none: as many as fit the budget with ~8 hidden-or-
 * intermediate-sized float rows of working memory per token plus `cachedPerToken` cached floats per
 * token, between 1 and 64.
 */
export function autoBatchSize(lm: CausalLM, items: readonly InterpItem[], cachedPerToken: number): number {
  const t = batchLength(items);
  const work = 8 * Math.max(lm.config.hiddenSize, lm.config.intermediateSize) + 3 * lm.config.vocabSize * (Math.max(...items.map((x) => x.answerIds.length)) / t);
  const perItem = t * (work + cachedPerToken) * 4;
  return Math.max(1, Math.min(64, Math.floor(BATCH_BUDGET_BYTES / perItem)));
}
