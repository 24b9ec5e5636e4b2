/**
 * The training config (one YAML file, `--set key.path=value` overrides) validated before any
 * compute, with errors naming the key and what was expected. Field names follow verl / TRL.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { DEFAULT_MIXING_MIN_SHARE, DEFAULT_REFLECTIVE_PHRASES } from '../eval/dynamics.ts';
import { rewardSpecSchema } from '../rewards/index.ts';
import { UserError } from '../util/errors.ts';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().min(0);

const generatedData = z.strictObject({
  generator: z.literal('arithmetic'),
  n: positiveInt,
  seed: z.number().int().min(0).default(0),
  max_operand: positiveInt.default(9),
  teacher_error_rate: z.number().min(0).max(1).default(0),
});

/** A benchmark name or JSONL path (with optional field mapping), or a generator spec. */
export const datasetSchema = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1),
    problem_field: z.string().optional(),
    answer_field: z.string().optional(),
    id_field: z.string().optional(),
    /** SFT: the field holding the target completion. */
    completion_field: z.string().optional(),
  }),
  generatedData,
]);

export const trainConfigSchema = z.strictObject({
  kind: z.enum(['grpo', 'sft']).default('grpo'),
  model: z.string().min(1),
  seed: z.number().int().min(0).default(0),
  data: z.strictObject({
    train: datasetSchema,
    /** Held-out items for validation: a dataset, or a count split off the end of `train`. */
    val: datasetSchema.optional(),
    val_size: z.number().int().min(0).default(0),
    template: z.string().default('none'),
    /** Answer extraction preset (src/verify/extract.ts) for the accuracy diagnostic and validation. */
    extractors: z.string().default('math'),
  }),
  rewards: rewardSpecSchema.optional(),
  rollout: z
    .strictObject({
      n: positiveInt.default(8),
      temperature: nonNegative.default(1),
      top_p: z.number().gt(0).max(1).default(1),
      top_k: z.number().int().min(0).default(0),
      max_new_tokens: positiveInt.default(64),
      stop: z.array(z.string()).default([]),
      /** Keep generating past EOS (vLLM's ignore_eos), e.g. for fixed-length benchmarks. */
      ignore_eos: z.boolean().default(false),
      /** Rows per generation forward batch. */
      batch: positiveInt.default(64),
    })
    .prefault({}),
  algorithm: z
    .strictObject({
      advantage: z.enum(['grpo', 'dr_grpo', 'rloo']).default('grpo'),
      batch_norm_advantages: z.boolean().default(false),
      clip: z.boolean().default(true),
      clip_ratio_low: z.number().min(0).max(1).default(0.2),
      clip_ratio_high: z.number().min(0).default(0.2),
      dual_clip: z.number().gt(1).nullable().default(null),
      kl_coef: nonNegative.default(0),
      kl_estimator: z.enum(['k1', 'k2', 'k3']).default('k3'),
      /** The frozen reference for the KL term and ACE: 'initial' (the starting weights), a model directory, or null. Kept only when kl_coef > 0 or ACE is on. */
      reference_model: z.string().min(1).nullable().default('initial'),
      entropy_coef: nonNegative.default(0),
      loss_agg_mode: z.enum(['seq-mean-token-mean', 'token-mean', 'seq-mean-token-sum-norm']).default('seq-mean-token-mean'),
      /** Dr. GRPO's constant; defaults to rollout.max_new_tokens. */
      loss_agg_norm: z.number().positive().optional(),
      ppo_epochs: positiveInt.default(1),
      /** Prompts per optimizer step within a rollout batch (mini-batch); defaults to all of them. */
      mini_batch_prompts: positiveInt.optional(),
      dynamic_sampling: z
        .strictObject({ enabled: z.boolean().default(false), max_gen_batches: positiveInt.default(4) })
        .prefault({}),
      ace: z
        .strictObject({ enabled: z.boolean().default(false), alpha: nonNegative.default(1), fn: z.enum(['softplus', 'relu']).default('softplus') })
        .prefault({}),
    })
    .prefault({}),
  train: z.strictObject({
    steps: positiveInt,
    /** GRPO: prompts per rollout batch; SFT: examples per optimizer step. */
    batch_size: positiveInt.default(8),
    /** Sequences per forward/backward pass (gradient accumulation splits larger batches). */
    micro_batch_size: positiveInt.default(32),
    /** SFT: pack sequences into rows of this many tokens instead of padding each (0 = padding). */
    pack_length: z.number().int().min(0).default(0),
  }),
  optim: z
    .strictObject({
      lr: z.number().positive().default(1e-5),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.999),
      eps: z.number().positive().default(1e-8),
      weight_decay: nonNegative.default(0.0),
      max_grad_norm: nonNegative.default(1),
      schedule: z.enum(['constant', 'cosine', 'linear']).default('constant'),
      warmup_steps: z.number().int().min(0).default(0),
      min_lr_ratio: z.number().min(0).max(1).default(0),
    })
    .prefault({}),
  validation: z
    .strictObject({ every: z.number().int().min(0).default(0), max_new_tokens: positiveInt.optional() })
    .prefault({}),
  checkpoint: z.strictObject({ every: z.number().int().min(0).default(0) }).prefault({}),
  logging: z
    .strictObject({
      samples_share: z.number().min(0).max(1).default(0.25),
      threads: positiveInt.optional(),
      /** Phrases counted in each step's responses (reflective/<phrase> in metrics.jsonl). */
      reflective_phrases: z.array(z.string().min(1)).default(DEFAULT_REFLECTIVE_PHRASES),
      /** Minority-script share of a response's words at which it counts as mixing languages. */
      mixing_min_share: z.number().gt(0).max(1).default(DEFAULT_MIXING_MIN_SHARE),
    })
    .prefault({}),
});

export type TrainConfig = z.output<typeof trainConfigSchema>;

function formatIssues(err: z.ZodError, source: string): string {
  return err.issues
    .map((i) => {
      const path = i.path.join('.') || '(top level)';
      if (i.code === 'unrecognized_keys') return `${source}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${[...i.path, k].join('.')}'`).join(', ')}`;
      return `${source}: ${path}: ${i.message}`;
    })
    .join('\n');
}

/** Sets `a.b.c` in a nested object to a YAML-parsed scalar, as Hydra/verl overrides do. */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UserError(`--set '${assignment}': expected key.path=value`);
  const path = assignment.slice(0, eq).split('.');
  if (path.some((p) => p === '')) throw new UserError(`--set '${assignment}': empty key in '${assignment.slice(0, eq)}'`);
  const value = YAML.parse(assignment.slice(eq + 1)) as unknown;
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new UserError(`--set '${assignment}': '${key}' is not a section`);
    }
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Parses and validates a config object; every problem is listed, each naming its key. */
export function parseTrainConfig(raw: unknown, source: string): TrainConfig {
  const parsed = trainConfigSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(formatIssues(parsed.error, source));
  const cfg = parsed.data;
  const problems: string[] = [];
  if (cfg.kind === 'grpo') {
    if (!cfg.rewards) problems.push('rewards: required for kind grpo (a list of {name, weight, config})');
    if (cfg.rollout.n < 2 && cfg.algorithm.advantage !== 'dr_grpo') {
      problems.push(`rollout.n: ${cfg.algorithm.advantage} needs a group of at least 2 rollouts per prompt, got ${cfg.rollout.n}`);
    }
    if (cfg.algorithm.mini_batch_prompts && cfg.train.batch_size % cfg.algorithm.mini_batch_prompts !== 0) {
      problems.push(`algorithm.mini_batch_prompts: ${cfg.algorithm.mini_batch_prompts} must divide train.batch_size ${cfg.train.batch_size}`);
    }
  }
  const wantsReference = cfg.algorithm.kl_coef > 0 || cfg.algorithm.ace.enabled;
  if (wantsReference && cfg.algorithm.reference_model === null) {
    problems.push(`algorithm.reference_model: null, but ${cfg.algorithm.kl_coef > 0 ? `kl_coef = ${cfg.algorithm.kl_coef}` : 'ACE'} needs a reference model ('initial' or a model directory)`);
  }
  if (cfg.validation.every > 0 && cfg.data.val === undefined && cfg.data.val_size === 0) {
    problems.push('validation.every > 0 needs data.val or data.val_size > 0');
  }
  if (problems.length) throw new UserError(problems.map((p) => `${source}: ${p}`).join('\n'));
  return cfg;
}

export function readTrainConfig(path: string, overrides: readonly string[] = []): TrainConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read config ${path}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${path}: expected a YAML mapping at the top level`);
  for (const o of overrides) applyOverride(raw as Record<string, unknown>, o);
  return parseTrainConfig(raw, path);
}

/** A reference model is kept only when the KL term or ACE needs it (β = 0 without ACE keeps none). */
export function needsReference(cfg: TrainConfig): boolean {
  return cfg.algorithm.kl_coef > 0 || cfg.algorithm.ace.enabled;
}
