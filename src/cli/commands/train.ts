import { join } from 'node:path';
import type { Command } from 'commander';
import { readTrainConfig, parseTrainConfig, applyOverride } from '../../rl/config.ts';
import { runGrpo } from '../../rl/grpo.ts';
import { TrainingSession } from '../../rl/session.ts';
import { runSft } from '../../rl/sft.ts';
import { EmbeddedPolicy } from '../../backends/embedded.ts';
import { defaultSampling } from '../../backends/policy.ts';
import { loadDataset } from '../../data/index.ts';
import { promptText } from '../../rl/data.ts';
import { rejectionSample, writeSftDataset } from '../../rl/rejection.ts';
import { poolVerify } from '../../rewards/index.ts';
import { RunDir } from '../../runs/index.ts';
import { progress } from '../../util/progress.ts';
import { EXTRACTION_PRESETS } from '../../verify/extract.ts';
import { VerifierPool } from '../../verify/pool.ts';
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
  model: string;
  dataset: string;
  template: string;
  k: string;
  temperature: string;
  maxNewTokens: string;
  extractors: string;
  seed: string;
  limit?: string;
  out: string;
}

export function registerRejectionSample(program: Command): void {
  program
    .command('rejection-sample')
    .description('sample k completions per problem, keep the verified-correct ones, write an SFT dataset (JSONL)')
    .requiredOption('--model <dir>', 'Hugging Face model directory (embedded engine)')
    .requiredOption('--dataset <name|file>', 'benchmark name or JSONL with problem/answer fields')
    .option('--template <name>', 'prompt template', 'none')
    .option('--k <n>', 'samples per problem', '8')
    .option('--temperature <t>', 'sampling temperature', '1')
    .option('--max-new-tokens <n>', 'tokens per completion', '256')
    .option('--extractors <preset>', 'answer extraction preset', 'math')
    .option('--seed <s>', 'sampler seed', '0')
    .option('--limit <n>', 'use the first n problems')
    .requiredOption('--out <file>', 'output JSONL of {id, prompt, completion, answer}')
    .action(async (f: RejectionFlags) => {
      checkOutputFile(f.out, '--out');
      const k = parseNumber('k', f.k, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
      const items = (await loadDataset(f.dataset)).slice(0, f.limit === undefined ? undefined : parseNumber('limit', f.limit, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'));
      const extractors = EXTRACTION_PRESETS[f.extractors];
      if (!extractors) throw new UserError(`--extractors: unknown preset '${f.extractors}'; known: ${Object.keys(EXTRACTION_PRESETS).join(', ')}`);
      const policy = EmbeddedPolicy.load(f.model);
      const prompts = items.map((it) => promptText(it, f.template, policy.lm.tokenizer));
      const pool = new VerifierPool();
      const bar = progress('rejection-sample', items.length);
      try {
        const result = await rejectionSample(
          policy,
          items,
          prompts,
          {
            ...defaultSampling,
            n: k,
            temperature: parseNumber('temperature', f.temperature, (n) => n >= 0, 'a number ≥ 0'),
            maxNewTokens: parseNumber('max-new-tokens', f.maxNewTokens, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
            seed: parseNumber('seed', f.seed, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
          },
          poolVerify(pool),
          extractors,
          (n) => bar.tick(n),
        );
        bar.stop();
        writeSftDataset(f.out, result.rows);
        process.stderr.write(`kept ${result.rows.length} of ${result.sampled} samples; ${result.promptsWithAKeeper}/${items.length} problems have at least one → ${f.out}\n`);
      } finally {
        await pool.close();
      }
    });
}
