import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { SpuriousSummary } from '../../audit/spurious.ts';
import { parseSeeds, type ReplicationSummary, runSpuriousAudit } from '../../audit/spurious-replicate.ts';
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
  seeds?: string;
  control?: string;
  templateBaseline: boolean;
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
    .option('--rewards <list>', 'variants: ground_truth, random, incorrect_label, format, contains, inverted', DEFAULT_VARIANTS.join(','))
    .option('--suspect <name|file>', 'suspect benchmark (default: the first --limit items of the training set)')
    .option('--clean <name|file>', 'clean benchmark (default: a freshly generated set, see docs/parts/spurious-suite.md)')
    .option('--out <dir>', 'output directory (default: runs/spurious-<config name>)')
    .option('--set <key.path=value>', 'override a config key for every variant (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--limit <n>', 'items per benchmark', '200')
    .option('--max-new-tokens <m>', 'evaluation budget (default: the config validation or rollout budget)')
    .option('--concurrency <n>', 'rows per evaluation generate batch', '16')
    .option('--seeds <list>', 'training seeds, e.g. 1,2,3: the suite once per seed, gains per seed and the share of seeds where each verdict fires (default: the config seed)')
    .option('--control <dir>', 'a negative-control model (e.g. `rlvr organism build --no-leak`): the same suite on it, reported side by side')
    .option('--no-template-baseline', "skip the starting model's greedy accuracy under every template")
    .action(async (f: SpuriousFlags) => {
      const variants = parseVariants(f.rewards);
      const seeds = f.seeds === undefined ? undefined : parseSeeds(f.seeds);
      const limit = parseNumber('limit', f.limit, isPosInt, 'a positive integer');
      const maxNewTokens = f.maxNewTokens === undefined ? undefined : parseNumber('max-new-tokens', f.maxNewTokens, isPosInt, 'a positive integer');
      const concurrency = parseNumber('concurrency', f.concurrency, isPosInt, 'a positive integer');
      const config = readTrainConfig(f.config, f.set);
      const out = f.out ?? resolve('runs', `spurious-${f.config.replace(/^.*\//, '').replace(/\.ya?ml$/, '')}`);
      checkOutputDir(out, '--out');
      const { runs, replication } = await runSpuriousAudit({
        config, configPath: f.config, variants, suspect: f.suspect, clean: f.clean, out, limit, maxNewTokens, concurrency,
        seeds, control: f.control === undefined ? undefined : resolve(f.control), templateBaseline: f.templateBaseline,
      });
      const several = runs.length > 1;
      for (const r of runs) {
        if (several) process.stdout.write(`\n== ${r.subject}, training seed ${r.seed} ==\n`);
        process.stdout.write(table(r.summary) + baselineLine(r.summary) + `verdict: ${r.summary.verdict.text}\n` + r.summary.verdict.notes.map((n) => `note: ${n}\n`).join('') + `summary: ${resolve(r.out, 'summary.json')}\n`);
      }
      if (replication) process.stdout.write('\n' + replicationTable(replication) + `replication: ${resolve(out, 'replication.json')}\n`);
    });
}

function baselineLine(s: SpuriousSummary): string {
  const b = s.template_baseline;
  if (!b) return '';
  const name = (x: { template: string; chat: boolean }) => `${x.template}${x.chat ? ' (chat)' : ''}`;
  return `best-template greedy baseline: SUSPECT ${acc(b.best.suspect.accuracy)}% (${name(b.best.suspect)}), CLEAN ${acc(b.best.clean.accuracy)}% (${name(b.best.clean)})\n`;
}

function replicationTable(r: ReplicationSummary): string {
  const lines: string[] = [];
  for (const s of r.subjects) {
    const verdicts = Object.entries(s.verdict_share).map(([rule, share]) => `${rule} ${(100 * share).toFixed(0)}%`).join(', ');
    lines.push(`${s.subject} (${s.model}) over seeds ${r.seeds.join(', ')}: verdicts ${verdicts}`);
    for (const v of s.variants) {
      const cell = (x: typeof v.suspect) => `${x.seeds.map((g) => pts(g.value)).join(' ')} (up ${(100 * x.up_share).toFixed(0)}%)`;
      lines.push(`  ${v.variant.padEnd(16)} SUSPECT ${cell(v.suspect).padEnd(34)} CLEAN ${cell(v.clean)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function table(s: SpuriousSummary): string {
  const head = `${'variant'.padEnd(16)} ${'SUSPECT % before→after (gain, 95% CI)'.padEnd(40)} CLEAN % before→after (gain, 95% CI)\n`;
  const cell = (g: SpuriousSummary['variants'][number]['suspect']) =>
    `${acc(g.before.value)}→${acc(g.after.value)} (${pts(g.gain.value)} [${pts(g.gain.ci[0])}, ${pts(g.gain.ci[1])}])`.padEnd(40);
  return head + s.variants.map((v) => `${v.variant.padEnd(16)} ${cell(v.suspect)} ${cell(v.clean).trimEnd()}\n`).join('');
}
