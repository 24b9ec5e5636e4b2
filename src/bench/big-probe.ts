/**
 * The 0.5B-scale rows of `rlvr bench model`, run in a child process of their own so that its peak
 * RSS is theirs alone: load, greedy generation at batch 1 and 8, scoring, and several training
 * steps (forward + backward of a token-mean NLL, AdamW), with the peak RSS after each phase.
 *
 *   node --import tsx src/bench/big-probe.ts '<json options>'   → one JSON line on stdout
 */
import { type Completion, defaultSampling } from '../backends/policy.ts';
import { CausalLM, type WeightFormat } from '../model/causal-lm.ts';
import { generateIds } from '../model/generate.ts';
import { scoreIds } from '../model/score.ts';
import { type LossFn, Trainable } from '../model/trainable.ts';
import * as T from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';
import { readBandwidthGbPerS } from './bandwidth.ts';

export interface BigProbeOptions {
  dir: string;
  /** Weights of the inference graphs (training needs fp32). */
  weights?: WeightFormat;
  /** Generation rows: prompt length, new tokens, batches to time (0 skips). */
  promptLen: number;
  newTokens: number;
  genBatches: number[];
  /** Texts to generate from instead of random token prompts (row i of a batch takes prompt i, cycling). */
  prompts?: string[];
  /** After the fp32 generation rows, the same rows with int8 weights (`int8_*` fields: speed, greedy agreement, logprob deltas). */
  compareInt8?: boolean;
  /** Scoring rows × tokens (0 skips). */
  scoreRows: number;
  scoreLen: number;
  /** Training: steps, rows × tokens per step (0 steps skips). */
  trainSteps: number;
  trainRows: number;
  trainLen: number;
}

const nll: LossFn = {
  key: 'bench-nll',
  build: ({ logprobs, completionMask }) => ({ loss: T.div(T.neg(T.reduceSum(T.mul(logprobs, completionMask))), T.reduceSum(completionMask)) }),
};

const gb = (bytes: number) => Math.round((bytes / 2 ** 30) * 1000) / 1000;
const peakGb = () => gb(process.resourceUsage().maxRSS * 1024);
const rssGb = () => gb(process.memoryUsage().rss);

/**
 * How far int8 generation is from fp32 on the same prompts: the fraction of greedy tokens equal
 * to fp32's before the first divergence, and |Δ log p| of fp32's greedy tokens scored with int8
 * weights (mean, max) — the fp32 completions scored both ways.
 */
async function int8Accuracy(lm: CausalLM, fp32: { prompts: number[][]; completions: Completion[] }, int8: Completion[]): Promise<Record<string, number>> {
  let agree = 0;
  let total = 0;
  fp32.completions.forEach((c, i) => {
    const other = int8[i].tokenIds;
    const firstDiff = c.tokenIds.findIndex((t, j) => other[j] !== t);
    agree += firstDiff === -1 ? c.tokenIds.length : firstDiff;
    total += c.tokenIds.length;
  });
  const pairs = fp32.completions.map((c, i) => ({ promptIds: fp32.prompts[i], completionIds: c.tokenIds }));
  const quantized = await scoreIds(lm, pairs);
  let sum = 0;
  let max = 0;
  let n = 0;
  fp32.completions.forEach((c, i) =>
    c.logprobs?.forEach((lp, j) => {
      const d = Math.abs(lp - quantized.logprobs[i][j]);
      sum += d;
      max = Math.max(max, d);
      n++;
    }),
  );
  return { greedy_agreement: agree / total, logprob_abs_delta_mean: sum / n, logprob_abs_delta_max: max };
}

export async function bigProbe(o: BigProbeOptions): Promise<Record<string, unknown>> {
  // scoring and training rows are a 32-token prompt plus a completion
  if ((o.scoreRows > 0 && o.scoreLen <= 32) || (o.trainSteps > 0 && o.trainLen <= 32)) throw new Error(`big probe: scoreLen and trainLen must exceed the 32-token prompt (got ${o.scoreLen}, ${o.trainLen})`);
  const out: Record<string, unknown> = {};
  const phases: Array<{ phase: string; seconds: number; rss_gb: number; peak_rss_gb: number }> = [];
  const phase = async <R>(name: string, fn: () => Promise<R> | R): Promise<R> => {
    const t0 = performance.now();
    const r = await fn();
    phases.push({ phase: name, seconds: (performance.now() - t0) / 1000, rss_gb: rssGb(), peak_rss_gb: peakGb() });
    process.stderr.write(`big: ${name} ${((performance.now() - t0) / 1000).toFixed(1)} s, rss ${rssGb()} GB, peak ${peakGb()} GB\n`);
    return r;
  };
  const lm = await phase('load', () => CausalLM.load(o.dir, { weights: o.weights ?? 'fp32' }));
  out.weights = lm.weights;
  out.parameters = lm.params.data.length;
  const rng = new Rng(7);
  const vocab = lm.tokenizer.vocabSize;
  const tokens = (n: number) => Array.from({ length: n }, () => 3 + rng.int(Math.min(vocab, 1000) - 3));
  const generated = new Map<number, { prompts: number[][]; completions: Completion[] }>();
  const generateRows = async (prefix: string) => {
    for (const b of o.genBatches) {
      const texts = o.prompts;
      const fresh = () => (texts ? Array.from({ length: b }, (_, i) => lm.tokenizer.encode(texts[i % texts.length])) : Array.from({ length: b }, () => tokens(o.promptLen)));
      const prompts = generated.get(b)?.prompts ?? fresh();
      const params = { ...defaultSampling, maxNewTokens: o.newTokens, temperature: 0, seed: 1 };
      // a full untimed run first: a shorter one would compile a decode graph of another KV capacity
      await phase(`${prefix}generate_b${b}_warmup`, () => generateIds(lm, prompts, params, { ignoreEos: true, maxBatch: b }));
      // the decode steps alone (from the prefill's token on), which read every weight once per token
      const stepTimes: number[] = [];
      const onStep = () => void stepTimes.push(performance.now());
      const t0 = performance.now();
      const completions = await phase(`${prefix}generate_b${b}`, () => generateIds(lm, prompts, params, { ignoreEos: true, maxBatch: b, onStep }));
      out[`${prefix}generate_greedy_b${b}_tokens_per_s`] = (b * o.newTokens) / ((performance.now() - t0) / 1000);
      if (stepTimes.length > 1) {
        const decodeSeconds = ((stepTimes.at(-1) as number) - stepTimes[0]) / 1000;
        out[`${prefix}decode_steps_b${b}_tokens_per_s`] = (b * (stepTimes.length - 1)) / decodeSeconds;
      }
      if (!generated.has(b)) generated.set(b, { prompts, completions });
      else out[`${prefix}b${b}_accuracy`] = await int8Accuracy(lm, generated.get(b) as { prompts: number[][]; completions: Completion[] }, completions);
    }
  };
  // the machine's read bandwidth right before and after the fp32 decoding, which is compared with it
  const bandwidthBefore = o.genBatches.length > 0 ? await readBandwidthGbPerS() : null;
  await generateRows('');
  if (bandwidthBefore !== null) {
    const readings = [bandwidthBefore, await readBandwidthGbPerS()];
    out.read_bandwidth_gb_per_s_readings = readings;
    out.read_bandwidth_gb_per_s = Math.max(...readings);
  }
  if (o.compareInt8) {
    await phase('int8_quantize', () => lm.useWeights('int8'));
    await T.sessionCache().clear();
    await generateRows('int8_');
    const b1 = out.int8_generate_greedy_b1_tokens_per_s;
    if (typeof b1 === 'number' && typeof out.generate_greedy_b1_tokens_per_s === 'number') out.int8_b1_speedup_over_fp32 = b1 / out.generate_greedy_b1_tokens_per_s;
    await T.sessionCache().clear();
    lm.useWeights('fp32');
  }
  if (o.scoreRows > 0) {
    const pairs = Array.from({ length: o.scoreRows }, () => ({ promptIds: tokens(32), completionIds: tokens(o.scoreLen - 32) }));
    await phase('score_compile', () => scoreIds(lm, pairs));
    const t0 = performance.now();
    await phase('score', () => scoreIds(lm, pairs));
    out.score_tokens_per_s = (o.scoreRows * o.scoreLen) / ((performance.now() - t0) / 1000);
  }
  if (o.trainSteps > 0) {
    const trainer = await phase('optimizer_init', () => new Trainable(lm, { schedule: { kind: 'constant', lr: 1e-5 } }));
    const batch = { promptIds: Array.from({ length: o.trainRows }, () => tokens(32)), completionIds: Array.from({ length: o.trainRows }, () => tokens(o.trainLen - 32)) };
    const steps: Array<{ forward_backward_s: number; optimizer_s: number; loss: number; peak_rss_gb: number }> = [];
    for (let s = 0; s < o.trainSteps; s++) {
      const t0 = performance.now();
      const { loss } = await phase(`train_step${s + 1}_forward_backward`, () => trainer.accumulate(batch, nll));
      const t1 = performance.now();
      await phase(`train_step${s + 1}_optimizer`, () => trainer.applyStep());
      steps.push({ forward_backward_s: (t1 - t0) / 1000, optimizer_s: (performance.now() - t1) / 1000, loss, peak_rss_gb: peakGb() });
    }
    out.train_steps = steps;
    out.optimizer_helpers = trainer.optimizer.helperCount;
    trainer.close();
  }
  out.phases = phases;
  out.peak_rss_gb = peakGb();
  out.sessions = { created: T.compileCount(), evicted: T.sessionCache().evicted };
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await bigProbe(JSON.parse(process.argv[2]) as BigProbeOptions);
  process.stdout.write(JSON.stringify(result) + '\n');
}
