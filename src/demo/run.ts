/**
 * `rlvr demo`: the reward-signal audit end to end on the bundled model organism.
 *
 *   OUT/contamination/{summary.json, items.jsonl}   phase 1, the partial-prompt probe
 *   OUT/spurious/                                   phase 2, the spurious-reward suite (its own layout)
 *   OUT/perplexity/perplexity.json                  phase 3, perplexity per checkpoint
 *   OUT/report.html, OUT/demo.json                  phase 4
 *
 * Each phase reuses its output when rerun with the same settings (the suite resumes its runs).
 */
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { loadAuditDataset } from '../audit/dataset.ts';
import { runSpuriousSuite } from '../audit/spurious.ts';
import { DEFAULT_VARIANTS } from '../audit/spurious-variants.ts';
import { BUNDLED_ORGANISM_DIR, type OrganismManifest } from '../organism/index.ts';
import { writeReport } from '../report/index.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { DemoBudget } from './budget.ts';
import { contaminationPhase } from './contamination.ts';
import { DEMO_SEED, MAX_NEW_TOKENS, organismGrpoConfig } from './grpo-config.ts';
import { perplexityPhase } from './perplexity.ts';
import { demoReport } from './report.ts';
import { contaminationNumbers, type DemoSummary, perplexityNumbers, type PhaseTiming, spuriousNumbers } from './summary.ts';
import { writeTrainingSet } from './train-data.ts';

export interface DemoOptions {
  out: string;
  budget: DemoBudget;
  /** Quiet trainer progress bars (tests). */
  quiet?: boolean;
}

const say = (text: string) => process.stderr.write(`demo: ${text}\n`);

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const out = resolve(o.out);
  const b = o.budget;
  const started = Date.now();
  const loadStart = loadavg();
  const phases: PhaseTiming[] = [];
  const timed = async <T>(phase: PhaseTiming['phase'], step: string, fn: () => Promise<{ result: T; reused: boolean }>): Promise<T> => {
    say(`${step} ${phase}`);
    const t0 = Date.now();
    const { result, reused } = await fn();
    phases.push({ phase, seconds: (Date.now() - t0) / 1000, reused, rss_mb: process.memoryUsage().rss / 2 ** 20 });
    say(`${phase} ${reused ? 'reused from an earlier run' : 'done'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  };

  const model = BUNDLED_ORGANISM_DIR;
  const manifest = JSON.parse(readFileSync(join(model, 'organism.json'), 'utf8')) as OrganismManifest;
  const leakedPath = join(model, 'leaked.jsonl');
  const cleanPath = join(model, 'clean.jsonl');
  const leaked = (await loadAuditDataset(leakedPath, { limit: b.items })).items;
  const clean = (await loadAuditDataset(cleanPath, { limit: b.items })).items;
  const items = [...leaked, ...clean];

  const contamination = await timed('contamination', '[1/4]', () => contaminationPhase(model, items, b.ratios, join(out, 'contamination')));

  const suiteDir = join(out, 'spurious');
  const suite = await timed('spurious', '[2/4]', async () => {
    const train = writeTrainingSet(join(out, 'data', 'train.jsonl'), b.trainItems, DEMO_SEED, new Set(items.map((i) => i.problem)));
    const config = organismGrpoConfig(model, train, b);
    const configPath = join(out, 'grpo.yaml');
    writeFileAtomic(configPath, YAML.stringify(config));
    const summary = await runSpuriousSuite({ config, configPath, variants: DEFAULT_VARIANTS, suspect: leakedPath, clean: cleanPath, out: suiteDir, limit: b.items, maxNewTokens: MAX_NEW_TOKENS, quiet: o.quiet });
    return { result: summary, reused: summary.variants.every((v) => v.action === 'skipped') };
  });

  const pplPath = join(out, 'perplexity', 'perplexity.json');
  const runs = suite.variants.map((v) => ({ variant: v.variant, runDir: v.run_dir }));
  const ppl = await timed('perplexity', '[3/4]', () => perplexityPhase(model, runs, items, pplPath));

  const reportPath = join(out, 'report.html');
  const summarize = (): DemoSummary => ({
    schema: 'rlvr-demo/1',
    finished_at: new Date().toISOString(),
    organism: { dir: model, seed: manifest.seed, parameters: manifest.parameters },
    budget: b,
    contamination: contaminationNumbers(contamination.ratios, join(out, 'contamination', 'summary.json')),
    spurious: spuriousNumbers(suite, join(suiteDir, 'summary.json')),
    perplexity: perplexityNumbers(ppl, pplPath),
    timing: {
      phases,
      total_seconds: (Date.now() - started) / 1000,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      cores: cpus().length,
      load_average_start: loadStart,
      load_average_end: loadavg(),
    },
    report: reportPath,
  });
  await timed('report', '[4/4]', async () => {
    writeReport(reportPath, demoReport(summarize(), contamination.ratios, suite, ppl));
    return { result: null, reused: false };
  });
  const summary = summarize();
  writeFileAtomic(join(out, 'demo.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
