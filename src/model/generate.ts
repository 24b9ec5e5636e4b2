/**
 * Batched generation: one prefill over left-padded prompts, then KV-cache decode steps. The cache
 * lives in JS buffers of a bucketed capacity; each decode graph reads the whole cache (fed without
 * copying) and returns only the new position's keys and values, so graphs compile once per
 * (batch, prompt bucket) and (batch, capacity) rather than once per length.
 */
import type { Completion, SamplingParams } from '../backends/policy.ts';
import * as T from '../tensor/index.ts';
import { UserError } from '../util/errors.ts';
import type { CausalLM } from './causal-lm.ts';
import type { HookPlan } from './hooks.ts';
import { rowRng, sampleToken } from './sampling.ts';
import type { Rng } from '../util/rng.ts';
import { attentionBias } from './transformer.ts';

const PROMPT_BUCKET = 16;
const CAPACITY_BUCKET = 64;
const roundUp = (n: number, m: number) => Math.max(m, Math.ceil(n / m) * m);

export interface GenerateOptions {
  /** Rows (prompt × sample) per forward batch. */
  maxBatch?: number;
  hooks?: HookPlan;
  /** Values for the hook plan's `replace:`/`scale:` inputs. */
  hookFeeds?: Record<string, Float32Array>;
  /** Keep generating past EOS tokens (as vLLM's ignore_eos), e.g. for throughput benchmarks. */
  ignoreEos?: boolean;
  /** Called after each decode step with the number of rows still generating. */
  onStep?: (active: number) => void;
  /** The sampler of a (prompt, sample) row; default rowRng(params.seed, promptIndex, sampleIndex). Lets a batch merge rows of requests with different seeds. */
  rngFor?: (promptIndex: number, sampleIndex: number) => Rng;
  /** Asked before each step: a row whose caller gave up stops there (its completion is cut short). Lets a server stop the work of a client that disconnected. */
  cancelled?: (promptIndex: number, sampleIndex: number) => boolean;
  /** Return per-token log-probabilities (default true); without them greedy decoding skips the softmax over the vocabulary. */
  logprobs?: boolean;
}

interface Row {
  promptIndex: number;
  sampleIndex: number;
  prompt: readonly number[];
}

export function validateSampling(p: SamplingParams): void {
  const bad = (field: string, value: unknown, want: string) => new UserError(`sampling: ${field} = ${JSON.stringify(value)}; expected ${want}`);
  if (!Number.isInteger(p.maxNewTokens) || p.maxNewTokens < 1) throw bad('max_new_tokens', p.maxNewTokens, 'an integer ≥ 1');
  if (!(p.temperature >= 0) || !Number.isFinite(p.temperature)) throw bad('temperature', p.temperature, 'a number ≥ 0');
  if (!(p.topP > 0 && p.topP <= 1)) throw bad('top_p', p.topP, 'a number in (0, 1]');
  if (!Number.isInteger(p.topK) || p.topK < 0) throw bad('top_k', p.topK, 'an integer ≥ 0');
  if (!Number.isInteger(p.n) || p.n < 1) throw bad('n', p.n, 'an integer ≥ 1');
  if (!Number.isSafeInteger(p.seed) || p.seed < 0) throw bad('seed', p.seed, 'a non-negative integer');
}

/** Completions for token-id prompts, `params.n` per prompt, in (prompt, sample) order. */
export async function generateIds(lm: CausalLM, prompts: ReadonlyArray<readonly number[]>, params: SamplingParams, opts: GenerateOptions = {}): Promise<Completion[]> {
  validateSampling(params);
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new UserError(`prompt ${i} is empty: generation needs at least one prompt token`);
  });
  const rows: Row[] = prompts.flatMap((prompt, promptIndex) => Array.from({ length: params.n }, (_, sampleIndex) => ({ promptIndex, sampleIndex, prompt })));
  const maxBatch = opts.maxBatch ?? 32;
  const out: Completion[] = [];
  const { cancelled } = opts;
  for (let start = 0; start < rows.length; start += maxBatch) {
    const chunk = rows.slice(start, start + maxBatch);
    if (cancelled && chunk.every((r) => cancelled(r.promptIndex, r.sampleIndex))) {
      out.push(...chunk.map((r) => ({ promptIndex: r.promptIndex, sampleIndex: r.sampleIndex, text: '', tokenIds: [], logprobs: [], finishReason: 'length' as const })));
      continue;
    }
    out.push(...(await generateBatch(lm, chunk, params, opts)));
  }
  return out;
}

async function generateBatch(lm: CausalLM, rows: Row[], params: SamplingParams, opts: GenerateOptions): Promise<Completion[]> {
  const c = lm.config;
  const b = rows.length;
  const promptLen = roundUp(Math.max(...rows.map((r) => r.prompt.length)), PROMPT_BUCKET);
  const capacity = roundUp(promptLen + params.maxNewTokens, CAPACITY_BUCKET);
  const kvh = c.numKvHeads;
  const dh = c.headDim;
  const layers = c.numLayers;
  const v = c.vocabSize;
  const pad = lm.padId;

  // Left-padded prompts; rotary positions count real tokens only (cumsum(mask) − 1, as transformers' generate).
  const keyMask = rows.map(() => new Uint8Array(promptLen));
  const ids = new BigInt64Array(b * promptLen).fill(BigInt(pad));
  const positions = new BigInt64Array(b * promptLen);
  const nextPos = new Array<number>(b);
  rows.forEach((r, i) => {
    const offset = promptLen - r.prompt.length;
    r.prompt.forEach((id, j) => {
      ids[i * promptLen + offset + j] = BigInt(id);
      keyMask[i][offset + j] = 1;
      positions[i * promptLen + offset + j] = BigInt(j);
    });
    nextPos[i] = r.prompt.length;
  });

  const kvOutputs = (out: { logits: T.Tensor; newKv: Array<{ k: T.Tensor; v: T.Tensor }> }) => {
    const outputs: Record<string, T.Tensor> = { logits: out.logits };
    out.newKv.forEach((kv, l) => {
      outputs[`k${l}`] = kv.k;
      outputs[`v${l}`] = kv.v;
    });
    return outputs;
  };
  const prefill = await lm.compiled(`prefill:${b}x${promptLen}`, opts.hooks, (io) => {
    const out = io.forward({
      inputIds: io.input('input_ids', 'int64', [b, promptLen]),
      positions: io.input('positions', 'int64', [b, promptLen]),
      attnBias: io.input('attn_bias', 'float32', [b, 1, 1, promptLen, promptLen]),
      lastOnly: true,
    });
    return kvOutputs(out);
  });
  const decode = await lm.compiled(`decode:${b}x${capacity}`, opts.hooks, (io) => {
    const past = Array.from({ length: layers }, (_, l) => ({
      k: io.input(`past_k${l}`, 'float32', [b, kvh, capacity, dh]),
      v: io.input(`past_v${l}`, 'float32', [b, kvh, capacity, dh]),
    }));
    const out = io.forward({
      inputIds: io.input('input_ids', 'int64', [b, 1]),
      positions: io.input('positions', 'int64', [b, 1]),
      attnBias: io.input('attn_bias', 'float32', [b, 1, 1, 1, capacity + 1]),
      past,
    });
    return kvOutputs(out);
  });

  const cacheK = Array.from({ length: layers }, () => new Float32Array(b * kvh * capacity * dh));
  const cacheV = Array.from({ length: layers }, () => new Float32Array(b * kvh * capacity * dh));
  // plain index loops: a subarray view per (layer, row, head) per token was a measurable share of decode time
  const copyInto = (dst: Float32Array, src: Float32Array, slot: number, len: number) => {
    const run = len * dh;
    for (let bh = 0; bh < b * kvh; bh++) {
      const from = bh * run;
      const to = (bh * capacity + slot) * dh;
      for (let x = 0; x < run; x++) dst[to + x] = src[from + x];
    }
  };
  const store = (res: T.Results, slot: number, len: number) => {
    for (let l = 0; l < layers; l++) {
      copyInto(cacheK[l], res[`k${l}`] as Float32Array, slot, len);
      copyInto(cacheV[l], res[`v${l}`] as Float32Array, slot, len);
    }
  };

  const hookFeeds = opts.hookFeeds ?? {};
  let res = await prefill.run({ ...lm.paramFeeds(), ...hookFeeds, input_ids: ids, positions, attn_bias: attentionBias(keyMask, promptLen) });
  store(res, 0, promptLen);

  const eos = new Set(opts.ignoreEos ? [] : lm.tokenizer.eosTokenIds);
  const withLogprobs = opts.logprobs !== false;
  const state = rows.map((r) => ({
    rng: opts.rngFor ? opts.rngFor(r.promptIndex, r.sampleIndex) : rowRng(params.seed, r.promptIndex, r.sampleIndex),
    tokens: [] as number[],
    logprobs: [] as number[],
    decoder: lm.tokenizer.streamDecoder({ skipSpecialTokens: true }),
    text: '',
    done: false,
    finish: 'length' as 'stop' | 'length',
  }));
  // decode attention bias [B, 1, 1, 1, capacity + 1]: the prompt's real keys, then each generated slot as it
  // is filled; the last column is the new token itself
  const decodeBias = new Float32Array(b * (capacity + 1)).fill(-3.4028234663852886e38);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < promptLen; j++) if (keyMask[i][j] === 1) decodeBias[i * (capacity + 1) + j] = 0;
    decodeBias[i * (capacity + 1) + capacity] = 0;
  }
  const stepIds = new BigInt64Array(b);
  const stepPos = new BigInt64Array(b);
  for (let step = 0; step < params.maxNewTokens; step++) {
    const logits = res.logits as Float32Array;
    for (let i = 0; i < b; i++) {
      const s = state[i];
      if (!s.done && opts.cancelled?.(rows[i].promptIndex, rows[i].sampleIndex)) s.done = true;
      if (s.done) {
        stepIds[i] = BigInt(pad);
        continue;
      }
      const { token, logprob } = sampleToken(logits.subarray(i * v, (i + 1) * v), params, s.rng, lm.tokenizer.vocabSize, withLogprobs);
      s.tokens.push(token);
      s.logprobs.push(logprob);
      stepIds[i] = BigInt(token);
      stepPos[i] = BigInt(nextPos[i]++);
      if (eos.has(token)) {
        s.text += s.decoder.flush();
        s.done = true;
        s.finish = 'stop';
        continue;
      }
      s.text += s.decoder.push(token);
      const hit = firstStop(s.text, params.stop);
      if (hit >= 0) {
        s.text = s.text.slice(0, hit);
        s.done = true;
        s.finish = 'stop';
      }
    }
    const active = state.filter((s) => !s.done).length;
    opts.onStep?.(active);
    if (active === 0 || step === params.maxNewTokens - 1) break;
    const slot = promptLen + step;
    const feeds: T.Feeds = { ...lm.paramFeeds(), ...hookFeeds, input_ids: stepIds, positions: stepPos, attn_bias: decodeBias };
    for (let l = 0; l < layers; l++) {
      feeds[`past_k${l}`] = cacheK[l];
      feeds[`past_v${l}`] = cacheV[l];
    }
    res = await decode.run(feeds);
    store(res, slot, 1);
    // the slot just written is a real key for every later step
    for (let i = 0; i < b; i++) decodeBias[i * (capacity + 1) + slot] = 0;
  }
  return state.map((s, i) => {
    if (!s.done) s.text += s.decoder.flush();
    return {
      promptIndex: rows[i].promptIndex,
      sampleIndex: rows[i].sampleIndex,
      text: s.text,
      tokenIds: s.tokens,
      logprobs: withLogprobs ? s.logprobs : null,
      finishReason: s.finish,
    };
  });
}

function firstStop(text: string, stops: readonly string[]): number {
  let best = -1;
  for (const stop of stops) {
    if (!stop) continue;
    const at = text.indexOf(stop);
    if (at >= 0 && (best < 0 || at < best)) best = at;
  }
  return best;
}
