import type { Command } from 'commander';
import { defaultRandomCalcOptions, generateRandomCalc, type RandomCalcOptions } from '../../data/randomcalc.ts';
import { EXPLORATION_TASKS, type ExplorationTask, generateExploration, parseSpec, SIZE_LIMITS, solutions } from '../../exploration/tasks.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { UserError } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { checkOutputFile } from '../../util/output-path.ts';

/** Synthetic data generators by name. */
const generators = ['randomcalc', ...EXPLORATION_TASKS];

function number(flag: string) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v)) throw new UserError(`${flag} must be a number, got '${text}'`);
    return v;
  };
}

export function registerData(program: Command): void {
  program
    .command('gen-data')
    .description(`generate a synthetic dataset as JSONL (generators: ${generators.join(', ')})`)
    .argument('<generator>', 'which generator')
    .requiredOption('--n <count>', 'number of items', number('--n'))
    .requiredOption('--seed <int>', 'seed; the same seed and options give the same items', number('--seed'))
    .requiredOption('--out <file>', 'output JSONL file (written atomically)')
    .option('--min-steps <int>', 'fewest operations per expression', number('--min-steps'), defaultRandomCalcOptions.minSteps)
    .option('--max-steps <int>', 'most operations per expression (≤ 20)', number('--max-steps'), defaultRandomCalcOptions.maxSteps)
    .option('--min-operand <x>', 'smallest operand', number('--min-operand'), defaultRandomCalcOptions.minOperand)
    .option('--max-operand <x>', 'largest operand', number('--max-operand'), defaultRandomCalcOptions.maxOperand)
    .option('--max-decimals <int>', 'most decimal places of an operand (0-2)', number('--max-decimals'), defaultRandomCalcOptions.maxDecimals)
    .option('--min-size <int>', `exploration tasks: smallest problem size (permutations: letters ${SIZE_LIMITS.permutations.join('-')}; subsets: numbers ${SIZE_LIMITS.subsets.join('-')}; grid-path: side ${SIZE_LIMITS['grid-path'].join('-')})`, number('--min-size'))
    .option('--max-size <int>', 'exploration tasks: largest problem size (sizes cycle from min to max)', number('--max-size'))
    .option('--wall-density <x>', 'grid-path: share of cells that are walls', number('--wall-density'), 0.2)
    .option('--with-solutions', 'exploration tasks: add a completion field listing every solution (SFT targets: data.train.completion_field)')
    .option('--created-at <iso>', 'timestamp to stamp instead of now (byte-identical reproduction)')
    .action((generator: string, opts: RandomCalcOptions & ExplorationFlags & { out: string }) => {
      if (!generators.includes(generator)) throw new UserError(`unknown generator '${generator}'; available: ${generators.join(', ')}`);
      checkOutputFile(opts.out, '--out');
      if (generator !== 'randomcalc') return writeExploration(generator as ExplorationTask, opts);
      const { out, ...options } = opts;
      const bar = progress('randomcalc', options.n);
      const lines: string[] = [];
      for (const item of generateRandomCalc(options)) {
        lines.push(JSON.stringify(item) + '\n');
        bar.tick();
      }
      bar.stop();
      writeFileAtomic(out, lines.join(''));
      process.stderr.write(`wrote ${lines.length} items to ${out}\n`);
    });
}

interface ExplorationFlags {
  n: number;
  seed: number;
  minSize?: number;
  maxSize?: number;
  wallDensity: number;
  withSolutions?: boolean;
  out: string;
}

function writeExploration(task: ExplorationTask, f: ExplorationFlags): void {
  const [lo, hi] = SIZE_LIMITS[task];
  const minSize = f.minSize ?? lo + 1;
  const items = generateExploration({ task, n: f.n, seed: f.seed, minSize, maxSize: f.maxSize ?? Math.min(hi, minSize + 3), wallDensity: f.wallDensity });
  const rows = items.map((it) => (f.withSolutions ? { ...it, completion: `<answer>\n${solutions(parseSpec(it.answer)!).join('\n')}\n</answer>` } : it));
  writeFileAtomic(f.out, rows.map((it) => JSON.stringify(it) + '\n').join(''));
  process.stderr.write(`wrote ${items.length} ${task} items (sizes ${items[0].size}-${Math.max(...items.map((i) => i.size))}) to ${f.out}\n`);
}
