import type { Command } from 'commander';
import { defaultRandomCalcOptions, generateRandomCalc, type RandomCalcOptions } from '../../data/randomcalc.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { UserError } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { checkOutputFile } from '../../util/output-path.ts';

/** Synthetic data generators by name. */
const generators = ['randomcalc'];

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
    .option('--created-at <iso>', 'timestamp to stamp instead of now (byte-identical reproduction)')
    .action((generator: string, opts: RandomCalcOptions & { out: string }) => {
      if (!generators.includes(generator)) throw new UserError(`unknown generator '${generator}'; available: ${generators.join(', ')}`);
      const { out, ...options } = opts;
      checkOutputFile(out, '--out');
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
