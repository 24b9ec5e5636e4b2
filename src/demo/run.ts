/**
 * `rlvr demo`: the reward-signal audit end to end on a model organism and its negative control
 * (by default the bundled organism, v16 seed 17, and its `--no-leak` twin).
 *
 *   OUT/contamination/{summary.json, items.jsonl}   the partial-prompt probe
 *   OUT/spurious/                                   the spurious-reward suite (its own layout)
 *   OUT/perplexity/perplexity.json                  perplexity per checkpoint
 *   OUT/control/...                                 the same three for the control
 *   OUT/interp/                                     where the change lives (src/demo/interp-phase.ts)
 *   OUT/report.html, OUT/demo.json                  both side by side
 *
 * Each phase reuses its output when rerun with the same settings (the suite resumes its runs).
 */
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { type AuditItem, loadAuditDataset } from '../audit/dataset.ts';
import { runSpuriousSuite, type SpuriousSummary } from '../audit/spurious.ts';
import type { RatioSummary } from '../audit/contamination.ts';
import { BUNDLED_CONTROL_DIR, BUNDLED_ORGANISM_DIR, BUNDLED_ORGANISM_SEED, type OrganismManifest, readManifest } from '../organism/index.ts';
import { writeReport } from '../report/index.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import type { DemoBudget } from './budget.ts';
import { contaminationPhase } from './contamination.ts';
import { DEMO_SEED, DEMO_VARIANTS, MAX_NEW_TOKENS, organismGrpoConfig } from './grpo-config.ts';
import { answerTexts, type PerplexityResult, perplexityPhase } from './perplexity.ts';
import { INTERP_LIMITS, interpPhase } from './interp-phase.ts';
import { demoReport } from './report.ts';
import { type DemoSummary, type PhaseTiming, subjectNumbers } from './summary.ts';
import { readTrainSplit, writeTrainingSet } from './train-data.ts';

export interface DemoOptions {
  out: string;
  budget: DemoBudget;
  /** Organism directory written by `rlvr organism build`; default the bundled one. */
  organism?: string;
  /** Its negative control (`--no-leak`); default the bundled control when the organism is the bundled one, else none. */
  control?: string;
  /** Quiet trainer progress bars (tests). */
  quiet?: boolean;
  /** Skip the interp phase (`--no-interp`). */
  interp?: boolean;
}

export interface SubjectResult {
  subject: 'organism' | 'control';
  dir: string;
  manifest: OrganismManifest;
  contamination: RatioSummary[];
  suite: SpuriousSummary;
  ppl: PerplexityResult;
  out: string;
}

const say = (text: string) => process.stderr.write(`demo: ${text}\n`);

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const out = resolve(o.out);
  const b = o.budget;
  const started = Date.now();
  const loadStart = loadavg();
  const phases: PhaseTiming[] = [];
  const organismDir = resolve(o.organism ?? BUNDLED_ORGANISM_DIR);
  const bundledControl = o.organism === undefined && existsSync(join(BUNDLED_CONTROL_DIR, 'organism.json')) ? BUNDLED_CONTROL_DIR : undefined;
  if (o.organism === undefined && o.control === undefined && bundledControl === undefined) say(`no bundled control in ${BUNDLED_CONTROL_DIR} (build it with \`rlvr organism build --seed ${BUNDLED_ORGANISM_SEED} --no-leak --out ${BUNDLED_CONTROL_DIR}\`); auditing the organism alone`);
  const controlDir = o.control !== undefined ? resolve(o.control) : bundledControl;
  const subjects = [{ subject: 'organism' as const, dir: organismDir, flag: '--organism', out }, ...(controlDir ? [{ subject: 'control' as const, dir: controlDir, flag: '--control', out: join(out, 'control') }] : [])];
  const manifests = subjects.map((s) => readManifest(s.dir, s.flag, 'demo'));
  // Both are audited on the organism's items; a control of another seed or generator would not be a control.
  const leakedPath = join(organismDir, 'leaked.jsonl');
  const cleanPath = join(organismDir, 'clean.jsonl');
  if (controlDir) {
    for (const f of ['leaked.jsonl', 'clean.jsonl']) {
      if (readFileSync(join(controlDir, f), 'utf8') !== readFileSync(join(organismDir, f), 'utf8')) throw new UserError(`demo: --control ${controlDir}: its ${f} differs from the organism's (build it with the same seed, generator and size, and --no-leak)`);
    }
    if (manifests[1].leak !== false) say(`warning: the control ${controlDir} was built with its leak (organism.json leak is not false)`);
  }
  const leaked = (await loadAuditDataset(leakedPath, { limit: b.items })).items;
  const clean = (await loadAuditDataset(cleanPath, { limit: b.items })).items;
  const items: AuditItem[] = [...leaked, ...clean];
  const version = manifests[0].generator_version;
  // an organism with a memorized training split (generator 10) trains on it and as many fresh problems
  const memorized = await readTrainSplit(organismDir);
  const freshCount = memorized.length > 0 ? Math.min(b.trainItems, memorized.length) : b.trainItems;
  const train = writeTrainingSet(join(out, 'data', 'train.jsonl'), freshCount, DEMO_SEED, new Set(items.map((i) => i.problem)), version, memorized.slice(0, freshCount));
  const texts = answerTexts(version, [leakedPath, cleanPath]);

  const total = subjects.length * 3 + 1 + (o.interp === false ? 0 : 1);
  let step = 0;
  const timed = async <T>(phase: PhaseTiming['phase'], subject: PhaseTiming['subject'], fn: () => Promise<{ result: T; reused: boolean }>): Promise<T> => {
    say(`[${++step}/${total}] ${phase}${subject === 'control' ? ' (control)' : ''}`);
    const t0 = Date.now();
    const { result, reused } = await fn();
    phases.push({ phase, subject, seconds: (Date.now() - t0) / 1000, reused, rss_mb: process.memoryUsage().rss / 2 ** 20 });
    say(`${phase} ${reused ? 'reused from an earlier run' : 'done'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  };

  const results: SubjectResult[] = [];
  for (const [k, s] of subjects.entries()) {
    const contamination = await timed('contamination', s.subject, () => contaminationPhase(s.dir, items, b.ratios, join(s.out, 'contamination')));
    const suiteDir = join(s.out, 'spurious');
    const suite = await timed('spurious', s.subject, async () => {
      const config = organismGrpoConfig(s.dir, train, b);
      const configPath = join(s.out, 'grpo.yaml');
      writeFileAtomic(configPath, YAML.stringify(config));
      const summary = await runSpuriousSuite({ config, configPath, variants: DEMO_VARIANTS, suspect: leakedPath, clean: cleanPath, out: suiteDir, limit: b.items, maxNewTokens: MAX_NEW_TOKENS, quiet: o.quiet });
      return { result: summary, reused: summary.variants.every((v) => v.action === 'skipped') };
    });
    const runs = suite.variants.map((v) => ({ variant: v.variant, runDir: v.run_dir }));
    const ppl = await timed('perplexity', s.subject, () => perplexityPhase(s.dir, runs, items, texts, join(s.out, 'perplexity', 'perplexity.json')));
    results.push({ subject: s.subject, dir: s.dir, manifest: manifests[k], contamination: contamination.ratios, suite, ppl: ppl, out: s.out });
  }

  const interp = o.interp === false ? null : await timed('interp', 'organism', () => interpPhase(organismDir, results[0].suite, join(out, 'interp'), { quiet: o.quiet, limits: { ...INTERP_LIMITS, items: Math.min(b.items, INTERP_LIMITS.items) } }));

  const reportPath = join(out, 'report.html');
  const summarize = (): DemoSummary => {
    const [organism, control] = results.map((r) => subjectNumbers(r));
    return {
      schema: 'rlvr-demo/1',
      finished_at: new Date().toISOString(),
      ...organism,
      budget: b,
      ...(control ? { control } : {}),
      ...(interp ? { interp } : {}),
      timing: {
        phases,
        total_seconds: (Date.now() - started) / 1000,
        peak_rss_mb: process.resourceUsage().maxRSS / 1024,
        cores: cpus().length,
        load_average_start: loadStart,
        load_average_end: loadavg(),
      },
      report: reportPath,
    };
  };
  await timed('report', 'both', async () => {
    writeReport(reportPath, demoReport(summarize(), results));
    return { result: null, reused: false };
  });
  const summary = summarize();
  writeFileAtomic(join(out, 'demo.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
