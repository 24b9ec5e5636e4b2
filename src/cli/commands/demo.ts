import { resolve } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { BUDGETS } from '../../demo/budget.ts';
import { runDemo } from '../../demo/run.ts';
import { terminalSummary } from '../../demo/summary.ts';
import { UserError } from '../../util/errors.ts';
import { checkOutputDir } from '../../util/output-path.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the reward-signal audit on a model organism and its no-leak control (default: the bundled pair): contamination probe, spurious-reward suite, perplexity curves, HTML report (≤ 10 min on 2 cores)')
    .option('--out <dir>', 'output directory (report.html, demo.json, each phase in its own folder)', 'runs/demo')
    .option('--organism <dir>', 'an organism written by `rlvr organism build` (default: the bundled organism, v16 seed 17)')
    .option('--control <dir>', 'its negative control (`rlvr organism build --no-leak`, same seed); default: the bundled control with the bundled organism, none otherwise')
    .option('--quick', 'a tiny budget (6 items per benchmark, 2 GRPO steps): checks the pipeline, numbers mean little')
    .option('--no-interp', 'skip the interp phase (where the change lives: patching, ablations, anchor layers, steering on base vs the variant that moved leaked accuracy most)')
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => {} })
    // A bad flag is a user mistake: one line and exit 2, as every UserError.
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) throw err;
      throw new UserError(`demo: ${err.message.replace(/^error: /, '')}`);
    })
    .action(async (f: { out: string; quick?: boolean; organism?: string; control?: string; interp: boolean }) => {
      checkOutputDir(f.out, '--out');
      const summary = await runDemo({ out: resolve(f.out), budget: f.quick ? BUDGETS.quick : BUDGETS.standard, organism: f.organism, control: f.control, interp: f.interp });
      process.stdout.write(terminalSummary(summary));
    });
}
