import { join } from 'node:path';
import type { Command } from 'commander';
import { readTrainConfig, parseTrainConfig, applyOverride } from '../../rl/config.ts';
import { runGrpo } from '../../rl/grpo.ts';
import { TrainingSession } from '../../rl/session.ts';
import { runSft } from '../../rl/sft.ts';
import { RunDir } from '../../runs/index.ts';
import { UserError } from '../../util/errors.ts';

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
        const raw = RunDir.open(f.resume).readConfig() as Record<string, unknown>;
        for (const o of f.set) applyOverride(raw, o);
        cfg = parseTrainConfig(raw, join(f.resume, 'config.yaml'));
        out = f.resume;
      } else {
        cfg = readTrainConfig(f.config as string, f.set);
        out = f.out ?? join('runs', (f.config as string).replace(/^.*\//, '').replace(/\.ya?ml$/, ''));
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
