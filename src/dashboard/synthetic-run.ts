/**
 * Synthetic GRPO/SFT run directories in the trainer's exact format (written through RunDir, the
 * trainer's own writer, with a config resolved by the trainer's schema): the dashboard's benchmark
 * and tests use them. Values follow plausible training dynamics from a seed; nothing is trained.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrainConfig } from '../rl/config.ts';
import { RunDir } from '../runs/run-dir.ts';
import { Rng } from '../util/rng.ts';

export interface SyntheticRunOptions {
  kind?: 'grpo' | 'sft';
  steps: number;
  /** Steps actually written (default all): a run that stopped or is still running. */
  written?: number;
  /** Prompt groups logged per step and completions per group (GRPO). */
  groupsPerStep?: number;
  groupSize?: number;
  seed?: number;
  /** Extra config (merged over the defaults before the trainer's schema resolves it). */
  config?: Record<string, unknown>;
  /** Characters of each completion (about). */
  completionChars?: number;
}

const WORDS = [
  'so',
  'then',
  'we',
  'add',
  'the',
  'numbers',
  'carry',
  'one',
  'total',
  'is',
  'first',
  'next',
  'multiply',
  'check',
  'answer',
];

function syntheticConfig(o: SyntheticRunOptions): unknown {
  const raw = {
    kind: o.kind ?? 'grpo',
    model: 'models/qwen2-tiny',
    seed: o.seed ?? 0,
    data: { train: { generator: 'arithmetic', n: 256, seed: 1 }, val_size: 32, template: 'qwen-boxed' },
    ...(o.kind === 'sft'
      ? {}
      : {
          rewards: [
            { name: 'accuracy', weight: 1 },
            { name: 'boxed_format', weight: 0.2 },
          ],
        }),
    rollout: { n: o.groupSize ?? 4 },
    train: { steps: o.steps },
    validation: { every: 10 },
    checkpoint: { every: 0 },
    ...o.config,
  };
  return parseTrainConfig(raw, 'synthetic.yaml');
}

/** The metrics row of step `step` of a synthetic run (the trainer's keys, plausible values). */
function syntheticMetrics(
  kind: 'grpo' | 'sft',
  step: number,
  steps: number,
  rng: Rng,
): Record<string, unknown> {
  const progress = step / Math.max(1, steps);
  const noise = () => (rng.uniform() - 0.5) * 0.1;
  if (kind === 'sft') {
    const row: Record<string, unknown> = {
      step,
      loss: 2.5 * Math.exp(-3 * progress) + 0.2 + noise(),
      grad_norm: 1 + rng.uniform(),
      lr: 1e-5,
      tokens_per_s: 900 + 100 * rng.uniform(),
      completion_tokens: 400 + rng.int(100),
    };
    if (step % 10 === 0) row.val_accuracy = Math.min(1, 0.2 + 0.6 * progress + noise());
    return row;
  }
  const accuracy = Math.min(1, Math.max(0, 0.15 + 0.6 * progress + noise()));
  const format = Math.min(1, Math.max(0, 0.5 + 0.5 * progress + noise()));
  const gen = 2 + rng.uniform();
  const row: Record<string, unknown> = {
    step,
    reward_mean: accuracy + 0.2 * format,
    reward_std: 0.3 + 0.1 * rng.uniform(),
    accuracy,
    entropy: 1.2 * (1 - 0.5 * progress) + noise(),
    kl: null,
    clip_frac_low: 0.01 * rng.uniform(),
    clip_frac_high: 0.02 * rng.uniform(),
    response_length_mean: 40 + 20 * progress + 5 * noise(),
    response_length_max: 64,
    response_clipped_share: 0.1 * rng.uniform(),
    grad_norm: 0.5 + rng.uniform(),
    lr: 1e-5,
    pg_loss: noise(),
    tokens_per_s: 120 + 10 * rng.uniform(),
    groups: 8,
    groups_filtered: 0,
    gen_batches: 1,
    time_generate_s: gen,
    time_score_s: 0.05,
    time_update_s: 1.5 + 0.2 * rng.uniform(),
    'reward/accuracy': accuracy,
    'reward/boxed_format': format,
  };
  if (step % 10 === 0) row.val_accuracy = Math.min(1, accuracy + 0.05);
  return row;
}

/** The samples.jsonl groups of step `step` (the trainer's record shape). */
function syntheticSamples(
  step: number,
  o: SyntheticRunOptions,
  rng: Rng,
): Array<Record<string, unknown>> {
  const groups = o.groupsPerStep ?? 2;
  const size = o.groupSize ?? 4;
  const chars = o.completionChars ?? 120;
  return Array.from({ length: groups }, (_, g) => {
    const a = 10 + rng.int(90);
    const b = 10 + rng.int(90);
    const completions = Array.from({ length: size }, () => {
      const correct = rng.uniform() < 0.3 + 0.5 * (step / o.steps);
      const boxed = rng.uniform() < 0.7;
      let text = '';
      while (text.length < chars) text += WORDS[rng.int(WORDS.length)] + ' ';
      text += boxed ? `\\boxed{${correct ? a + b : a + b + 1}}` : `${correct ? a + b : a + b - 1}`;
      return {
        text,
        components: { accuracy: correct ? 1 : 0, boxed_format: boxed ? 1 : 0 },
        correct,
        finish_reason: rng.uniform() < 0.1 ? 'length' : 'stop',
      };
    });
    const rewards = completions.map((c) => c.components.accuracy + 0.2 * c.components.boxed_format);
    const mean = rewards.reduce((s, r) => s + r, 0) / size;
    const std = Math.sqrt(rewards.reduce((s, r) => s + (r - mean) ** 2, 0) / Math.max(1, size - 1));
    return {
      step,
      id: `arithmetic/${(step * groups + g) % 256}`,
      prompt: `What is ${a} + ${b}? Put the final answer in \\boxed{}.`,
      gold: String(a + b),
      completions: completions.map((c, k) => ({
        text: c.text,
        reward: rewards[k],
        components: c.components,
        correct: c.correct,
        advantage: (rewards[k] - mean) / (std + 1e-6),
        finish_reason: c.finish_reason,
      })),
    };
  });
}

/**
 * Writes a run directory; returns it. Steps are appended one at a time through RunDir (an fsync
 * per line, as the trainer does), or with `bulk` in large buffered writes of the same lines (the
 * 10,000-step benchmark fixture).
 */
export function writeSyntheticRun(dir: string, o: SyntheticRunOptions & { bulk?: boolean }): RunDir {
  const run = RunDir.create(dir, syntheticConfig(o));
  const rng = new Rng(o.seed ?? 0);
  const last = o.written ?? o.steps;
  if (!o.bulk) {
    for (let step = 1; step <= last; step++) appendSyntheticStep(run, step, o, rng);
    return run;
  }
  const metrics = openSync(join(dir, 'metrics.jsonl'), 'a');
  const samples = openSync(join(dir, 'samples.jsonl'), 'a');
  try {
    let m: string[] = [];
    let s: string[] = [];
    for (let step = 1; step <= last; step++) {
      m.push(JSON.stringify(syntheticMetrics(o.kind ?? 'grpo', step, o.steps, rng)) + '\n');
      if ((o.kind ?? 'grpo') === 'grpo')
        for (const g of syntheticSamples(step, o, rng)) s.push(JSON.stringify(g) + '\n');
      if (step % 500 === 0 || step === last) {
        writeSync(metrics, m.join(''));
        if (s.length) writeSync(samples, s.join(''));
        m = [];
        s = [];
      }
    }
  } finally {
    closeSync(metrics);
    closeSync(samples);
  }
  return run;
}

export function appendSyntheticStep(run: RunDir, step: number, o: SyntheticRunOptions, rng: Rng): void {
  const kind = o.kind ?? 'grpo';
  run.appendMetrics(syntheticMetrics(kind, step, o.steps, rng));
  if (kind === 'grpo') run.appendSamples(syntheticSamples(step, o, rng));
}
