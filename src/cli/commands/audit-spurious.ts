import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runSpuriousSuite, type SpuriousSummary } from '../../audit/spurious.ts';
import { DEFAULT_VARIANTS, parseVariants } from '../../audit/spurious-variants.ts';
import { readTrainConfig } from '../../rl/config.ts';
import { parseNumber } from './generate.ts';
import { checkOutputDir } from '../../util/output-path.ts';

interface SpuriousFlags {
  config: string;
  rewards: string;
  suspect?: string;
  clean?: string;
  out?: string;
  set: string[];
  limit: string;
  maxNewTokens?: string;
  concurrency: string;
}

const isPosInt = (n: number) => Number.isInteger(n) && n >= 1;
const acc = (x: number) => (100 * x).toFixed(1);
const pts = (x: number) => `${x >= 0 ? '+' : ''}${acc(x)}`;

export function registerSpurious(audit: Command): void {
  audit
    .command('spurious')
    .description(
      'spurious-reward controls: train one GRPO config under several rewards (same seed and budget), evaluate every checkpoint on a suspect and a clean benchmark, report gains with CIs and a verdict',
    )
    .requiredOption('--config <file>', 'GRPO training config (YAML)')
    .option('--rewards <list>', 'variants: ground_truth, random, incorrect_label, format, contains', DEFAULT_VARIANTS.join(','))
    .option('--suspect <name|file>', 'suspect benchmark (default: the first --limit items of the training set)')
    .option('--clean <name|file>', 'clean benchmark (default: a freshly generated set, see docs/parts/spurious-suite.md)')
    .option('--out <dir>', 'output directory (default: runs/spurious-<config name>)')
    .option('--set <key.path=value>', 'override a config key for every variant (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--limit <n>', 'items per benchmark', '200')
    .option('--max-new-tokens <m>', 'evaluation budget (default: the config validation or rollout budget)')
    .option('--concurrency <n>', 'rows per evaluation generate batch', '16')
    .action(async (f: SpuriousFlags) => {
      const variants = parseVariants(f.rewards);
      const limit = parseNumber('limit', f.limit, isPosInt, 'a positive integer');
      const maxNewTokens = f.maxNewTokens === undefined ? undefined : parseNumber('max-new-tokens', f.maxNewTokens, isPosInt, 'a positive integer');
      const concurrency = parseNumber('concurrency', f.concurrency, isPosInt, 'a positive integer');
      const config = readTrainConfig(f.config, f.set);
      const out = f.out ?? resolve('runs', `spurious-${f.config.replace(/^.*\//, '').replace(/\.ya?ml$/, '')}`);
      checkOutputDir(out, '--out');
      const summary = await runSpuriousSuite({ config, configPath: f.config, variants, suspect: f.suspect, clean: f.clean, out, limit, maxNewTokens, concurrency });
      process.stdout.write(table(summary) + `verdict: ${summary.verdict.text}\n` + summary.verdict.notes.map((n) => `note: ${n}\n`).join('') + `summary: ${resolve(out, 'summary.json')}\n`);
    });
}

function table(s: SpuriousSummary): string {
  const head = `${'variant'.padEnd(16)} ${'SUSPECT % before→after (gain, 95% CI)'.padEnd(40)} CLEAN % before→after (gain, 95% CI)\n`;
  const cell = (g: SpuriousSummary['variants'][number]['suspect']) =>
    `${acc(g.before.value)}→${acc(g.after.value)} (${pts(g.gain.value)} [${pts(g.gain.ci[0])}, ${pts(g.gain.ci[1])}])`.padEnd(40);
  return head + s.variants.map((v) => `${v.variant.padEnd(16)} ${cell(v.suspect)} ${cell(v.clean).trimEnd()}\n`).join('');
}
