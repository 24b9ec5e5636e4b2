import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';

/** Benchmark suites by name; each prints one JSON object on stdout. Loaded lazily. */
const suites: Record<string, () => Promise<{ runBench(args: string[]): Promise<unknown> }>> = {
  engine: () => import('../../bench/engine.ts'),
  model: () => import('../../bench/model.ts'),
  train: () => import('../../bench/train.ts'),
  verify: () => import('../../verify/bench.ts'),
  eval: () => import('../../bench/eval.ts'),
  rewards: () => import('../../reward-service/bench.ts'),
  dashboard: () => import('../../dashboard/bench.ts'),
  interp: () => import('../../bench/interp.ts'),
  adamw: () => import('../../bench/adamw.ts'),
  'ort-profile': () => import('../../bench/ort-profile.ts'),
};

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`run a benchmark suite and print its JSON result (suites: ${Object.keys(suites).join(', ')})`)
    .argument('<suite>', 'which benchmark')
    .argument('[args...]', 'suite-specific arguments')
    .allowUnknownOption()
    .action(async (suite: string, args: string[]) => {
      const load = suites[suite];
      if (!load) throw new UserError(`unknown bench suite '${suite}'; available: ${Object.keys(suites).join(', ')}`);
      const result = await (await load()).runBench(args);
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    });
}
