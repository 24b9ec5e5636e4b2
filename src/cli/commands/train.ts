import { join } from 'node:path';
import type { Command } from 'commander';
import { readTrainConfig, parseTrainConfig, applyOverride } from '../../rl/config.ts';
import { runGrpo } from '../../rl/grpo.ts';
import { TrainingSession } from '../../rl/session.ts';
import { runSft } from '../../rl/sft.ts';
import { checkRejectionJob, describeRejection, rejectionJobSchema, runRejectionJob } from '../../rl/rejection-run.ts';
import { RunDir } from '../../runs/index.ts';
import { parseNumber } from './generate.ts';
import { UserError } from '../../util/errors.ts';
import { checkOutputDir, checkOutputFile } from '../../util/output-path.ts';

interface TrainFlags {
  config?: string;
  out?: string;
  resume?: string;
  set: string[];
  untilStep?: string;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('GRPO-family RL or SFT from one YAML config; writes a run directory (config, metrics, samples, checkpoints)')
    .option('--config <file>', 'YAML training config (see examples/)')
    .option('--out <dir>', 'run directory to create (default: runs/<config name>)')
    .option('--resume <dir>', 'continue the run in this directory from its latest checkpoint')
    .option('--until-step <n>', 'stop after this step (checkpointed) and leave the rest for --resume, e.g. to fit a job time limit')
    .option('--set <key.path=value>', 'override a config key (repeatable), e.g. --set train.steps=50', (v: string, acc: string[]) => [...acc, v], [])
    .action(async (f: TrainFlags) => {
      if (!f.config && !f.resume) throw new UserError('give --config FILE (new run) or --resume RUN_DIR');
      if (f.config && f.resume) throw new UserError('--resume continues a run with its own config.yaml; drop --config (use --set to change keys)');
      let cfg;
      let out: string;
      if (f.resume) {
        const run = RunDir.open(f.resume);
        const raw = run.readConfig() as Record<string, unknown>;
        for (const o of f.set) applyOverride(raw, o);
        cfg = parseTrainConfig(raw, join(f.resume, 'config.yaml'));
        if (f.set.length > 0) run.updateConfig(cfg, f.set, run.latestCheckpoint()?.step ?? 0);
        out = f.resume;
      } else {
        cfg = readTrainConfig(f.config as string, f.set);
        out = f.out ?? join('runs', (f.config as string).replace(/^.*\//, '').replace(/\.ya?ml$/, ''));
        checkOutputDir(out, '--out');
      }
      const untilStep = f.untilStep === undefined ? undefined : Number(f.untilStep);
      if (untilStep !== undefined && !(Number.isInteger(untilStep) && untilStep > 0)) throw new UserError(`--until-step must be a positive integer, got '${f.untilStep}'`);
      const session = await TrainingSession.open(cfg, { out, resume: Boolean(f.resume) });
      try {
        if (cfg.kind === 'sft') await runSft(session, { untilStep });
        else await runGrpo(session, { untilStep });
      } finally {
        await session.close();
      }
      process.stderr.write(`run written to ${out} (step ${session.state.step}; checkpoints in ${join(out, 'checkpoints')})\n`);
    });
}

interface RejectionFlags {
  model?: string;
  baseUrl?: string;
  modelName?: string;
  apiKey?: string;
  api: string;
  concurrency: string;
  cache?: string;
  dataset: string;
  template: string;
  k: string;
  temperature: string;
  topP: string;
  maxNewTokens: string;
  extractors: string;
  seed: string;
  limit?: string;
  language?: string;
  minLanguageShare: string;
  maxTokens?: string;
  keepTruncated?: boolean;
  requireFormat: string;
  dedup: string;
  maxPerPrompt?: string;
  out: string;
}

export function registerRejectionSample(program: Command): void {
  program
    .command('rejection-sample')
    .description('sample k completions per problem, keep the verified-correct, readable ones, write an SFT dataset (JSONL); resumes an interrupted run')
    .option('--model <dir>', 'Hugging Face model directory (embedded engine)')
    .option('--base-url <url>', 'a teacher behind an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1')
    .option('--model-name <name>', 'the served model name (with --base-url)')
    .option('--api-key <key>', 'API key (default $OPENAI_API_KEY)')
    .option('--api <kind>', 'with --base-url: auto, completions or chat', 'auto')
    .option('--concurrency <n>', 'with --base-url: requests in flight', '8')
    .option('--cache <file>', 'with --base-url: response cache (default OUT.cache.jsonl)')
    .requiredOption('--dataset <name|file>', 'benchmark name or JSONL with problem/answer fields')
    .option('--template <name>', 'prompt template', 'none')
    .option('--k <n>', 'samples per problem', '8')
    .option('--temperature <t>', 'sampling temperature', '1')
    .option('--top-p <p>', 'nucleus mass in (0, 1]', '1')
    .option('--max-new-tokens <n>', 'tokens per completion', '256')
    .option('--extractors <preset>', 'answer extraction preset', 'math')
    .option('--seed <s>', 'sampler seed', '0')
    .option('--limit <n>', 'use the first n problems')
    .option('--language <code>', 'readability: keep chains of thought written in this language (en, zh, ...)')
    .option('--min-language-share <x>', 'readability: least share of words in the target language', '1')
    .option('--max-tokens <n>', 'readability: drop responses longer than this many tokens')
    .option('--keep-truncated', 'readability: keep responses cut off by the token limit (dropped by default)')
    .option('--require-format <f>', 'readability: none, or r1 (<think>…</think><answer>…</answer>)', 'none')
    .option('--dedup <mode>', 'exact, normalized (ignoring case and whitespace) or none', 'exact')
    .option('--max-per-prompt <n>', 'keep at most n samples per problem')
    .requiredOption('--out <file>', 'output JSONL of {id, prompt, completion, answer}')
    .action(async (f: RejectionFlags) => {
      checkOutputFile(f.out, '--out');
      const int = (flag: string, v: string, min: number) => parseNumber(flag, v, (n) => Number.isInteger(n) && n >= min, min === 0 ? 'a non-negative integer' : 'a positive integer');
      const parsed = rejectionJobSchema.safeParse({
        model: f.model,
        base_url: f.baseUrl,
        model_name: f.modelName,
        api_key: f.apiKey,
        api: f.api,
        concurrency: int('concurrency', f.concurrency, 1),
        dataset: f.dataset,
        template: f.template,
        k: int('k', f.k, 1),
        temperature: parseNumber('temperature', f.temperature, (n) => n >= 0, 'a number ≥ 0'),
        top_p: parseNumber('top-p', f.topP, (n) => n > 0 && n <= 1, 'in (0, 1]'),
        max_new_tokens: int('max-new-tokens', f.maxNewTokens, 1),
        extractors: f.extractors,
        seed: int('seed', f.seed, 0),
        limit: f.limit === undefined ? undefined : int('limit', f.limit, 1),
        filter: {
          drop_truncated: !f.keepTruncated,
          max_tokens: f.maxTokens === undefined ? null : int('max-tokens', f.maxTokens, 1),
          language: f.language ?? null,
          min_language_share: parseNumber('min-language-share', f.minLanguageShare, (n) => n >= 0 && n <= 1, 'in [0, 1]'),
          require_format: f.requireFormat,
          dedup: f.dedup,
          max_per_prompt: f.maxPerPrompt === undefined ? null : int('max-per-prompt', f.maxPerPrompt, 1),
        },
      });
      if (!parsed.success) {
        throw new UserError(parsed.error.issues.map((i) => `--${i.path.at(-1)?.toString().replace(/_/g, '-')}: ${i.message}`).join('\n'));
      }
      const problems = checkRejectionJob(parsed.data);
      if (problems.length) throw new UserError(problems.map((p) => p.replace(/^[a-z_ /]+:/, (keys) => keys.replace(/[a-z_]+/g, (k) => `--${k.replace(/_/g, '-')}`))).join('\n'));
      const result = await runRejectionJob(parsed.data, f.out, { cachePath: f.cache });
      process.stderr.write(`${describeRejection(result)}${result.chunksResumed ? ` (${result.chunksResumed} chunks resumed)` : ''} → ${f.out}\n`);
    });
}
