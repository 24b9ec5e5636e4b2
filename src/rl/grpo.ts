/**
 * The GRPO-family trainer: rollouts, rewards, advantages (GRPO / Dr. GRPO / RLOO, ACE, batch
 * normalization), DAPO dynamic sampling, μ epochs of clipped policy-gradient updates over
 * mini-batches with gradient accumulation, metrics, samples, validation and checkpoints.
 */
import { computeDynamics, dynamicsMetrics } from '../eval/dynamics.ts';
import { CausalLM } from '../model/causal-lm.ts';
import { scoreIds } from '../model/score.ts';
import type { SequenceBatch } from '../model/trainable.ts';
import { composeRewards } from '../rewards/index.ts';
import { progress } from '../util/progress.ts';
import { aceModulate, groupAdvantages, normalizeBatch } from './advantages.ts';
import { needsReference } from './config.ts';
import { policyLoss } from './policy-loss.ts';
import { dynamicSample, type Group, rolloutGroups } from './rollout.ts';
import { lastStep, type RunOptions, type TrainingSession } from './session.ts';

interface Sequence {
  group: number;
  promptIds: number[];
  completionIds: number[];
  oldLogprobs: number[];
  refLogprobs: number[] | null;
  advantage: number;
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const meanOf = (xs: readonly number[]) => (xs.length ? sum(xs) / xs.length : 0);
const stdOf = (xs: readonly number[]) => Math.sqrt(meanOf(xs.map((x) => (x - meanOf(xs)) ** 2)));
const chunks = <T>(xs: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

/** Generation seed of a step's b-th rollout batch: different per step, identical on resume. */
export function rolloutSeed(seed: number, step: number, batch: number): number {
  return (seed * 1_000_003 + step * 97 + batch) % 2 ** 48;
}

export async function runGrpo(session: TrainingSession, opts: RunOptions = {}): Promise<void> {
  const { cfg, lm, trainable, state } = session;
  const alg = cfg.algorithm;
  const reward = composeRewards(cfg.rewards ?? [], { verify: session.verify });
  const reference = needsReference(cfg) ? CausalLM.load(alg.reference_model === 'initial' ? cfg.model : (alg.reference_model as string)) : null;
  const loss = policyLoss(
    {
      clip: alg.clip,
      clipLow: alg.clip_ratio_low,
      clipHigh: alg.clip_ratio_high,
      dualClip: alg.dual_clip,
      klCoef: alg.kl_coef,
      klEstimator: alg.kl_estimator,
      entropyCoef: alg.entropy_coef,
      aggregation: alg.loss_agg_mode,
    },
    { withRef: reference !== null, withEntropy: true },
  );
  const normConstant = alg.loss_agg_norm ?? cfg.rollout.max_new_tokens;
  const bar = opts.quiet ? null : progress('train', lastStep(cfg.train.steps, opts) - state.step);

  for (let step = state.step + 1; step <= lastStep(cfg.train.steps, opts); step++) {
    const t0 = performance.now();
    const draw = (batch: number): Promise<Group[]> => {
      const items = session.nextItems(cfg.train.batch_size);
      return rolloutGroups({
        lm,
        items,
        prompts: items.map((it) => session.prompt(it)),
        sampling: {
          n: cfg.rollout.n,
          temperature: cfg.rollout.temperature,
          topP: cfg.rollout.top_p,
          topK: cfg.rollout.top_k,
          maxNewTokens: cfg.rollout.max_new_tokens,
          stop: cfg.rollout.stop,
          seed: rolloutSeed(cfg.seed, step, batch),
        },
        reward,
        verify: session.verify,
        extractors: session.extractors,
        step,
        batchRows: cfg.rollout.batch,
        ignoreEos: cfg.rollout.ignore_eos,
      });
    };
    const sampled = alg.dynamic_sampling.enabled
      ? await dynamicSample(cfg.train.batch_size, alg.dynamic_sampling.max_gen_batches, draw)
      : { groups: await draw(0), filtered: 0, batches: 1 };
    const groups = sampled.groups;
    const t1 = performance.now();

    const sequences: Sequence[] = [];
    const advantagesByGroup = groups.map((g) => groupAdvantages(g.rewards, alg.advantage));
    const firstSequence: number[] = [];
    groups.forEach((g, gi) => {
      firstSequence.push(sequences.length);
      g.completions.forEach((c, k) =>
        sequences.push({ group: gi, promptIds: g.promptIds, completionIds: c.tokenIds, oldLogprobs: c.logprobs ?? [], refLogprobs: null, advantage: advantagesByGroup[gi][k] }),
      );
    });
    if (reference && sequences.length) {
      const ref = await scoreIds(reference, sequences, { maxBatch: cfg.train.micro_batch_size });
      sequences.forEach((s, i) => (s.refLogprobs = ref.logprobs[i]));
    }
    if (alg.ace.enabled) {
      for (const s of sequences) s.advantage = aceModulate(s.advantage, sum(s.oldLogprobs) - sum(s.refLogprobs ?? []), alg.ace);
    }
    if (alg.batch_norm_advantages) normalizeBatch(sequences.map((s) => s.advantage)).forEach((a, i) => (sequences[i].advantage = a));
    const t2 = performance.now();

    const totals = { tokens: 0, clipLow: 0, clipHigh: 0, entropy: 0, kl: 0, firstPassTokens: 0, pgLoss: 0, passes: 0 };
    let gradNorm = NaN;
    let lr = trainable.learningRate;
    const miniPrompts = alg.mini_batch_prompts ?? Math.max(1, groups.length);
    for (let epoch = 0; epoch < alg.ppo_epochs && sequences.length; epoch++) {
      for (const mini of chunks(groups.map((_, gi) => gi), miniPrompts)) {
        const seqs = sequences.filter((s) => mini.includes(s.group));
        const numTokens = sum(seqs.map((s) => s.completionIds.length));
        for (const micro of chunks(seqs, cfg.train.micro_batch_size)) {
          const batch: SequenceBatch = { promptIds: micro.map((s) => s.promptIds), completionIds: micro.map((s) => s.completionIds) };
          const token: Record<string, number[][]> = {
            advantages: micro.map((s) => new Array(s.completionIds.length).fill(s.advantage)),
            old_logprobs: micro.map((s) => s.oldLogprobs),
          };
          if (reference) token.ref_logprobs = micro.map((s) => s.refLogprobs as number[]);
          const out = await trainable.accumulate(batch, loss, {
            token,
            scalar: { num_seqs: seqs.length, num_tokens: numTokens, norm_constant: normConstant },
          });
          const m = out.metrics;
          totals.tokens += m.tokens;
          totals.clipLow += m.clip_low_tokens ?? 0;
          totals.clipHigh += m.clip_high_tokens ?? 0;
          totals.pgLoss += m.pg_loss;
          if (epoch === 0) {
            totals.entropy += m.entropy_sum;
            totals.kl += m.kl_sum ?? 0;
            totals.firstPassTokens += m.tokens;
          }
        }
        lr = trainable.learningRate;
        gradNorm = trainable.applyStep().gradNorm;
        totals.passes++;
      }
    }
    const t3 = performance.now();
    state.step = step;

    const completions = groups.flatMap((g) => g.completions);
    const lengths = completions.map((c) => c.tokenIds.length);
    const rewards = groups.flatMap((g) => g.rewards);
    const correct = groups.flatMap((g) => g.correct).filter((c): c is boolean => c !== null);
    const componentNames = Object.keys(groups[0]?.components[0] ?? {});
    const seconds = (t3 - t0) / 1000;
    const row: Record<string, unknown> = {
      step,
      reward_mean: meanOf(rewards),
      reward_std: stdOf(rewards),
      accuracy: correct.length ? correct.filter(Boolean).length / correct.length : null,
      entropy: totals.firstPassTokens ? totals.entropy / totals.firstPassTokens : null,
      kl: reference && totals.firstPassTokens ? totals.kl / totals.firstPassTokens : null,
      clip_frac_low: totals.tokens ? totals.clipLow / totals.tokens : 0,
      clip_frac_high: totals.tokens ? totals.clipHigh / totals.tokens : 0,
      response_length_mean: meanOf(lengths),
      response_length_max: lengths.length ? Math.max(...lengths) : 0,
      response_clipped_share: completions.length ? completions.filter((c) => c.finishReason === 'length').length / completions.length : 0,
      grad_norm: gradNorm,
      lr,
      pg_loss: totals.passes ? totals.pgLoss / totals.passes : null,
      tokens_per_s: sum(lengths) / seconds,
      groups: groups.length,
      groups_filtered: sampled.filtered,
      gen_batches: sampled.batches,
      time_generate_s: (t1 - t0) / 1000,
      time_score_s: (t2 - t1) / 1000,
      time_update_s: (t3 - t2) / 1000,
      ...dynamicsMetrics(
        computeDynamics(
          completions.map((c) => ({ text: c.text, tokens: c.tokenIds.length, truncated: c.finishReason === 'length' })),
          { phrases: cfg.logging.reflective_phrases, mixingMinShare: cfg.logging.mixing_min_share },
        ),
      ),
      ...Object.fromEntries(componentNames.map((n) => [`reward/${n}`, meanOf(groups.flatMap((g) => g.components.map((c) => c[n])))])),
    };
    if (session.isDue(cfg.validation.every)) row.val_accuracy = await session.validate(cfg.validation.max_new_tokens ?? cfg.rollout.max_new_tokens);
    session.run.appendMetrics(row);
    const sampleCount = Math.ceil(cfg.logging.samples_share * groups.length);
    session.run.appendSamples(
      groups.slice(0, sampleCount).map((g, gi) => ({
        step,
        id: g.item.id,
        prompt: g.prompt,
        gold: g.item.answer,
        completions: g.completions.map((c, k) => ({
          text: c.text,
          reward: g.rewards[k],
          components: g.components[k],
          correct: g.correct[k],
          advantage: sequences[firstSequence[gi] + k].advantage,
          finish_reason: c.finishReason,
        })),
      })),
    );
    if (session.isDue(cfg.checkpoint.every) || step === lastStep(cfg.train.steps, opts)) session.checkpoint();
    bar?.tick(1, { reward: row.reward_mean as number, acc: (row.accuracy as number | null) ?? 'n/a' });
  }
  bar?.stop();
}
