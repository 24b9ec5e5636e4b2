/**
 * The suite over several training seeds and, optionally, a negative-control model: each
 * (subject, seed) is an ordinary suite run in its own directory, then per subject the gains per
 * seed, the share of seeds where each gain is up and the share where each verdict fires.
 *
 *   OUT/seed-S/              the organism (the config's model) at training seed S
 *   OUT/control/seed-S/      the control model, same config and seeds
 *   OUT/replication.json     the aggregate (schema rlvr-spurious-replication/1)
 * With one seed the seed level is left out (OUT/, OUT/control/).
 */
import { join } from 'node:path';
import { parseTrainConfig } from '../rl/config.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { runSpuriousSuite, type SpuriousOptions, type SpuriousSummary } from './spurious.ts';
import type { Variant } from './spurious-variants.ts';
import type { Trend, VerdictRule } from './spurious-verdict.ts';

export type Subject = 'organism' | 'control';

export interface AuditOptions extends SpuriousOptions {
  /** Training seeds; default the config's seed alone. */
  seeds?: number[];
  /** A negative-control model directory, audited with the same config, seeds and benchmarks. */
  control?: string;
}

export interface SeedGain {
  seed: number;
  value: number;
  ci: [number, number];
  trend: Trend;
  /** Code-mode share of the greedy responses after training. */
  code_share_after: number;
}

export interface SubjectReplication {
  subject: Subject;
  model: string;
  runs: Array<{ seed: number; out: string; verdict_rule: VerdictRule; verdict: string }>;
  /** Share of seeds whose verdict is each rule (rules that never fired are absent). */
  verdict_share: Partial<Record<VerdictRule, number>>;
  variants: Array<{
    variant: Variant;
    suspect: { seeds: SeedGain[]; mean_gain: number; up_share: number; down_share: number };
    clean: { seeds: SeedGain[]; mean_gain: number; up_share: number; down_share: number };
  }>;
}

export interface ReplicationSummary {
  schema: 'rlvr-spurious-replication/1';
  seeds: number[];
  subjects: SubjectReplication[];
}

export interface SuiteRun {
  subject: Subject;
  seed: number;
  out: string;
  summary: SpuriousSummary;
}

export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  const out = seeds.map((s) => {
    const n = Number(s);
    if (s === '' || !Number.isSafeInteger(n) || n < 0) throw new UserError(`--seeds: '${s}' is not a non-negative integer`);
    return n;
  });
  if (new Set(out).size !== out.length) throw new UserError(`--seeds lists a seed twice: ${text}`);
  return out;
}

/** Runs every (subject, seed) suite; returns them with the aggregate (null for one organism run at one seed). */
export async function runSpuriousAudit(o: AuditOptions): Promise<{ runs: SuiteRun[]; replication: ReplicationSummary | null }> {
  const seeds = o.seeds ?? [o.config.seed];
  if (seeds.length === 0) throw new UserError('--seeds lists no seed');
  const subjects: Array<{ subject: Subject; model: string; out: string }> = [{ subject: 'organism', model: o.config.model, out: o.out }];
  if (o.control !== undefined) subjects.push({ subject: 'control', model: o.control, out: join(o.out, 'control') });
  const perSeedDirs = o.seeds !== undefined && o.seeds.length > 1;

  const runs: SuiteRun[] = [];
  for (const s of subjects) {
    for (const seed of seeds) {
      const config = parseTrainConfig({ ...o.config, model: s.model, seed }, `${o.configPath} (${s.subject}, seed ${seed})`);
      const out = perSeedDirs ? join(s.out, `seed-${seed}`) : s.out;
      if (subjects.length > 1 || seeds.length > 1) process.stderr.write(`spurious: ${s.subject} (${s.model}), training seed ${seed} → ${out}\n`);
      runs.push({ subject: s.subject, seed, out, summary: await runSpuriousSuite({ ...o, config, out }) });
    }
  }
  if (subjects.length === 1 && seeds.length === 1) return { runs, replication: null };
  const replication: ReplicationSummary = {
    schema: 'rlvr-spurious-replication/1',
    seeds,
    subjects: subjects.map((s) => aggregate(s.subject, s.model, runs.filter((r) => r.subject === s.subject))),
  };
  writeFileAtomic(join(o.out, 'replication.json'), JSON.stringify(replication, null, 2) + '\n');
  return { runs, replication };
}

export function aggregate(subject: Subject, model: string, runs: ReadonlyArray<{ seed: number; summary: SpuriousSummary; out: string }>): SubjectReplication {
  const share = (n: number) => n / runs.length;
  const verdictShare: Partial<Record<VerdictRule, number>> = {};
  for (const r of runs) verdictShare[r.summary.verdict.rule] = (verdictShare[r.summary.verdict.rule] ?? 0) + 1 / runs.length;
  const variants = runs[0]?.summary.variants.map((v) => v.variant) ?? [];
  const role = (variant: Variant, key: 'suspect' | 'clean') => {
    const seeds = runs.map((r): SeedGain => {
      const v = r.summary.variants.find((x) => x.variant === variant);
      if (!v) throw new Error(`seed ${r.seed} has no ${variant} variant`);
      return { seed: r.seed, value: v[key].gain.value, ci: v[key].gain.ci, trend: v[key].trend, code_share_after: v[key].modes.after.code_share };
    });
    return {
      seeds,
      mean_gain: seeds.reduce((a, g) => a + g.value, 0) / seeds.length,
      up_share: share(seeds.filter((g) => g.trend === 'up').length),
      down_share: share(seeds.filter((g) => g.trend === 'down').length),
    };
  };
  return {
    subject,
    model,
    runs: runs.map((r) => ({ seed: r.seed, out: r.out, verdict_rule: r.summary.verdict.rule, verdict: r.summary.verdict.text })),
    verdict_share: verdictShare,
    variants: variants.map((variant) => ({ variant, suspect: role(variant, 'suspect'), clean: role(variant, 'clean') })),
  };
}
