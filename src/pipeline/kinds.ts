/**
 * The stage kinds of a pipeline recipe: their settings (validated before anything runs), the
 * paths they write (known in advance, so later stages can refer to them), and how each runs
 * and resumes in its stage directory.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { OpenAIPolicy } from '../backends/openai.ts';
import type { Policy } from '../backends/policy.ts';
import { auditSubcommands } from '../cli/commands/audit.ts';
import { runEvaluation } from '../eval/run.ts';
import { CausalLM, WEIGHT_FORMATS, type WeightFormat } from '../model/causal-lm.ts';
import { parseTrainConfig, type TrainConfig } from '../rl/config.ts';
import { runGrpo } from '../rl/grpo.ts';
import { checkRejectionJob, describeRejection, rejectionJobSchema, runRejectionJob, type RejectionJob } from '../rl/rejection-run.ts';
import { TrainingSession } from '../rl/session.ts';
import { runSft } from '../rl/sft.ts';
import { BatchedEmbeddedPolicy } from '../server/batched-policy.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

export const BASE_KINDS = ['sft', 'grpo', 'rejection-sample', 'eval', 'merge-data'] as const;

/** `audit-<name>` for each `rlvr audit <name>` subcommand. */
function auditCommands(): Map<string, Command> {
  const audit = new Command('audit');
  for (const register of auditSubcommands) register(audit);
  return new Map(audit.commands.map((c) => [`audit-${c.name()}`, c]));
}

export function knownKinds(): string[] {
  return [...BASE_KINDS, ...auditCommands().keys()];
}

export const OUTPUTS: Record<string, readonly string[]> = {
  sft: ['final', 'dir', 'metrics'],
  grpo: ['final', 'dir', 'metrics'],
  'rejection-sample': ['data', 'dir'],
  'merge-data': ['data', 'dir'],
  eval: ['results', 'samples', 'dir'],
};
export const outputsOf = (kind: string): readonly string[] => OUTPUTS[kind] ?? ['dir'];

const evalSchema = z.strictObject({
  model: z.string().min(1).optional(),
  /** The embedded model's projection weights (docs/parts/performance.md); not with base_url. */
  weights: z.enum(WEIGHT_FORMATS as [WeightFormat, ...WeightFormat[]]).optional(),
  base_url: z.string().url().optional(),
  model_name: z.string().min(1).optional(),
  api_key: z.string().optional(),
  api: z.enum(['auto', 'completions', 'chat']).default('auto'),
  dataset: z.string().min(1),
  problem_field: z.string().optional(),
  answer_field: z.string().optional(),
  id_field: z.string().optional(),
  subject_field: z.string().optional(),
  level_field: z.string().optional(),
  template: z.string().default('qwen-boxed'),
  as_chat: z.boolean().default(false),
  n: z.number().int().positive().default(1),
  temperature: z.number().min(0).default(0),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: z.number().int().min(0).default(0),
  max_new_tokens: z.number().int().positive().default(1024),
  seed: z.number().int().min(0).default(0),
  stop: z.array(z.string()).default([]),
  limit: z.number().int().positive().optional(),
  extraction: z.string().optional(),
  concurrency: z.number().int().positive().default(16),
  reflective_phrases: z.array(z.string().min(1)).optional(),
});

const mergeSchema = z.strictObject({
  /** JSONL files (typically other stages' data), concatenated in order. */
  inputs: z.array(z.string().min(1)).min(1),
  /** Shuffle the merged lines with this seed (null: keep the order). */
  shuffle_seed: z.number().int().min(0).nullable().default(null),
  /** Drop lines whose (prompt, completion) pair appeared before. */
  dedup: z.boolean().default(false),
});

const auditSchema = z.strictObject({
  /** The audit command's flags without dashes (`base_url` or `base-url`); `out` is the stage's. */
  args: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))])).default({}),
});

export type StageSettings =
  | { kind: 'sft' | 'grpo'; train: TrainConfig }
  | { kind: 'rejection-sample'; job: RejectionJob }
  | { kind: 'eval'; eval: z.output<typeof evalSchema> }
  | { kind: 'merge-data'; merge: z.output<typeof mergeSchema> }
  | { kind: 'audit'; command: string; argv: string[] };

function zodProblems(err: z.ZodError, prefix = ''): string[] {
  return err.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `${i.keys.map((k) => [...i.path, k].join('.')).join(', ')}: unknown key${i.keys.length > 1 ? 's' : ''}`;
    return `${prefix}${i.path.join('.') || '(stage)'}: ${i.message}`;
  });
}

/** Validates a stage's settings (references already replaced); problems are "key: message" lines. */
export function validateStage(kind: string, body: Record<string, unknown>, source: string): { settings: StageSettings } | { problems: string[] } {
  if (kind === 'sft' || kind === 'grpo') {
    const { config, ...rest } = body;
    if (Object.keys(rest).length) return { problems: Object.keys(rest).map((k) => `${k}: unknown key (a ${kind} stage has 'config', an rlvr train config)`) };
    if (config === null || typeof config !== 'object' || Array.isArray(config)) return { problems: ['config: expected an rlvr train config (a mapping)'] };
    const raw = config as Record<string, unknown>;
    if (raw.kind !== undefined && raw.kind !== kind) return { problems: [`config.kind: '${String(raw.kind)}' in a ${kind} stage`] };
    try {
      return { settings: { kind, train: parseTrainConfig({ ...raw, kind }, source) } };
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      return {
        problems: err.message.split('\n').map((l) => {
          const rest = l.startsWith(source) ? l.slice(source.length + 2) : l;
          const unknown = /^unknown keys? (.*)$/.exec(rest);
          return unknown ? `${unknown[1].replace(/'([^']+)'/g, 'config.$1')}: unknown key` : `config.${rest}`;
        }),
      };
    }
  }
  if (kind === 'rejection-sample') {
    const parsed = rejectionJobSchema.safeParse(body);
    if (!parsed.success) return { problems: zodProblems(parsed.error) };
    const problems = checkRejectionJob(parsed.data);
    return problems.length ? { problems } : { settings: { kind, job: parsed.data } };
  }
  if (kind === 'eval') {
    const parsed = evalSchema.safeParse(body);
    if (!parsed.success) return { problems: zodProblems(parsed.error) };
    const e = parsed.data;
    if ((e.model === undefined) === (e.base_url === undefined)) return { problems: ['model / base_url: give exactly one (a model directory, or a server URL with model_name)'] };
    if (e.base_url !== undefined && !e.model_name) return { problems: ['model_name: required with base_url'] };
    if (e.base_url !== undefined && e.weights !== undefined) return { problems: ['weights: applies to an embedded model (model); a server decides its own weights'] };
    return { settings: { kind, eval: e } };
  }
  if (kind === 'merge-data') {
    const parsed = mergeSchema.safeParse(body);
    return parsed.success ? { settings: { kind, merge: parsed.data } } : { problems: zodProblems(parsed.error) };
  }
  const command = auditCommands().get(kind);
  if (!command) return { problems: [`kind: unknown stage kind '${kind}'; known: ${knownKinds().join(', ')}`] };
  const parsed = auditSchema.safeParse(body);
  if (!parsed.success) return { problems: zodProblems(parsed.error) };
  const longs = new Map(command.options.map((o) => [o.long ?? '', o]));
  const argv: string[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed.data.args)) {
    const flag = `--${key.replace(/_/g, '-')}`;
    if (flag === '--out') problems.push(`args.${key}: the pipeline sets the output directory (the stage's dir)`);
    else if (!longs.has(flag)) problems.push(`args.${key}: 'rlvr audit ${command.name()}' has no option ${flag}; options: ${[...longs.keys()].filter((l) => l !== '--out').join(', ')}`);
    else if (value === true) argv.push(flag);
    else if (value !== false) argv.push(flag, ...(Array.isArray(value) ? value : [value]).map(String));
  }
  return problems.length ? { problems } : { settings: { kind: 'audit', command: command.name(), argv } };
}

/** The paths a stage writes, by output name (for `${stages.NAME.OUTPUT}`). */
export function stageOutputs(settings: StageSettings, dir: string): Record<string, string> {
  switch (settings.kind) {
    case 'sft':
    case 'grpo':
      return { dir, final: join(dir, 'checkpoints', `step-${settings.train.train.steps}`), metrics: join(dir, 'metrics.jsonl') };
    case 'rejection-sample':
    case 'merge-data':
      return { dir, data: join(dir, 'data.jsonl') };
    case 'eval':
      return { dir, results: join(dir, 'results.json'), samples: join(dir, 'samples.jsonl') };
    case 'audit':
      return { dir: join(dir, 'out') };
  }
}

/** Runs a stage in its directory, resuming what an interrupted run left; returns a one-line summary. */
export async function runStage(settings: StageSettings, dir: string, opts: { quiet: boolean }): Promise<string> {
  const outputs = stageOutputs(settings, dir);
  switch (settings.kind) {
    case 'sft':
    case 'grpo': {
      const resume = existsSync(join(dir, 'config.yaml'));
      const session = await TrainingSession.open(settings.train, { out: dir, resume });
      try {
        await (settings.kind === 'sft' ? runSft(session, { quiet: opts.quiet }) : runGrpo(session, { quiet: opts.quiet }));
      } finally {
        await session.close();
      }
      return `${settings.train.train.steps} steps${resume ? ' (resumed)' : ''} → ${outputs.final}`;
    }
    case 'rejection-sample': {
      const result = await runRejectionJob(settings.job, outputs.data, { quiet: opts.quiet });
      return `${describeRejection(result)}${result.chunksResumed ? ` (${result.chunksResumed} chunks resumed)` : ''} → ${outputs.data}`;
    }
    case 'eval': {
      const e = settings.eval;
      let policy: Policy;
      let model: string;
      if (e.model !== undefined) {
        policy = new BatchedEmbeddedPolicy(CausalLM.load(e.model, { weights: e.weights }), { maxBatch: e.concurrency });
        model = resolve(e.model);
      } else {
        policy = new OpenAIPolicy({ baseURL: e.base_url!, model: e.model_name!, apiKey: e.api_key, api: e.api, concurrency: e.concurrency, cachePath: join(dir, 'cache.jsonl') });
        model = e.model_name!;
      }
      const fields = { problemField: e.problem_field, answerField: e.answer_field, idField: e.id_field, subjectField: e.subject_field, levelField: e.level_field };
      const anyField = Object.values(fields).some((v) => v !== undefined);
      try {
        const results = await runEvaluation({
          policy,
          model,
          weights: e.weights,
          outDir: dir,
          concurrency: e.concurrency,
          dynamics: e.reflective_phrases ? { phrases: e.reflective_phrases } : undefined,
          config: {
            dataset: e.dataset,
            fields: anyField ? fields : undefined,
            template: e.template,
            asChat: e.as_chat,
            n: e.n,
            temperature: e.temperature,
            topP: e.top_p,
            topK: e.top_k,
            maxNewTokens: e.max_new_tokens,
            seed: e.seed,
            stop: e.stop,
            limit: e.limit,
            extraction: e.extraction,
          },
        });
        const p1 = results.metrics['pass@1'];
        return `pass@1 ${p1.value.toFixed(4)} [${p1.ci.map((x) => x.toFixed(4)).join(', ')}] over ${results.counts.items} items → ${outputs.results}`;
      } finally {
        if (policy instanceof OpenAIPolicy) policy.close();
      }
    }
    case 'merge-data': {
      const m = settings.merge;
      let lines: Array<{ text: string; key: string }> = [];
      for (const input of m.inputs) {
        if (!existsSync(input)) throw new UserError(`merge-data: input ${input} does not exist`);
        readFileSync(input, 'utf8')
          .split('\n')
          .forEach((text, i) => {
            if (!text.trim()) return;
            let row: unknown;
            try {
              row = JSON.parse(text);
            } catch (err) {
              throw new UserError(`${input}:${i + 1}: malformed JSON (${(err as Error).message})`);
            }
            if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new UserError(`${input}:${i + 1}: expected a JSON object`);
            const r = row as Record<string, unknown>;
            lines.push({ text, key: JSON.stringify([r.prompt ?? r.problem, r.completion ?? r.answer]) });
          });
      }
      const before = lines.length;
      if (m.dedup) {
        const seen = new Set<string>();
        lines = lines.filter((l) => !seen.has(l.key) && seen.add(l.key));
      }
      if (m.shuffle_seed !== null) {
        const rng = new Rng(m.shuffle_seed);
        rng.shuffle(lines);
      }
      writeFileAtomic(outputs.data, lines.map((l) => l.text + '\n').join(''));
      return `${lines.length} lines from ${m.inputs.length} files${m.dedup ? ` (${before - lines.length} duplicates dropped)` : ''} → ${outputs.data}`;
    }
    case 'audit': {
      // an audit reruns from the start (audits write their results at the end)
      rmSync(outputs.dir, { recursive: true, force: true });
      const program = new Command().exitOverride();
      const audit = program.command('audit');
      for (const register of auditSubcommands) register(audit);
      await program.parseAsync(['audit', settings.command, ...settings.argv, '--out', outputs.dir], { from: 'user' });
      return `rlvr audit ${settings.command} → ${outputs.dir}`;
    }
  }
}
