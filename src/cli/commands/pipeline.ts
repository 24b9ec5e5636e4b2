import { join } from 'node:path';
import type { Command } from 'commander';
import { planRecipe, readRecipe } from '../../pipeline/plan.ts';
import { runPipeline } from '../../pipeline/run.ts';
import { UserError } from '../../util/errors.ts';

interface PipelineFlags {
  config: string;
  out?: string;
  resume?: boolean;
  set: string[];
  check?: boolean;
}

export function registerPipeline(program: Command): void {
  program
    .command('pipeline')
    .description('run a multi-stage recipe (sft, grpo, rejection-sample, eval, audit-*, merge-data) in one run directory; finished stages are skipped and interrupted ones resume with --resume')
    .requiredOption('--config <recipe.yaml>', 'the recipe (see examples/recipes/)')
    .option('--out <dir>', 'run directory (default: runs/<recipe name>)')
    .option('--resume', 'continue the run in --out: skip finished stages, resume the interrupted one')
    .option('--set <key.path=value>', 'override a recipe key (repeatable): vars.NAME=..., stages.NAME.config.train.steps=5', (v: string, acc: string[]) => [...acc, v], [])
    .option('--check', 'validate the recipe and print the plan without running it')
    .action(async (f: PipelineFlags) => {
      const raw = readRecipe(f.config, f.set);
      const name = typeof raw.name === 'string' ? raw.name : f.config.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
      if (!/^[\w.-]+$/.test(name)) throw new UserError(`${f.config}: name '${name}' cannot be a directory name; give --out`);
      const out = f.out ?? join('runs', name);
      const plan = planRecipe(raw, f.config, out);
      if (f.check) {
        for (const [i, s] of plan.stages.entries()) {
          process.stdout.write(`${i + 1}. ${s.name} (${s.kind})${s.deps.length ? ` after ${s.deps.join(', ')}` : ''} → ${Object.entries(s.outputs).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
        }
        return;
      }
      const report = await runPipeline(plan, out, { resume: Boolean(f.resume) });
      for (const s of report.stages) process.stdout.write(`${s.name.padEnd(16)} ${s.kind.padEnd(17)} ${s.status.padEnd(8)} ${s.wall_s === null ? '' : `${s.wall_s.toFixed(1)} s`}\n`);
      process.stderr.write(`pipeline written to ${out} (pipeline.json)\n`);
    });
}
