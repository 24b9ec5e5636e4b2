/**
 * Runs a planned recipe in one run directory, a subdirectory per stage:
 *
 *   OUT/recipe.yaml            the recipe as run (after --set overrides)
 *   OUT/pipeline.json          per stage: status, wall time, outputs (rewritten after each stage)
 *   OUT/report.html            stages, training-dynamics curves, evaluation results (at the end)
 *   OUT/<stage>/stage.start.json   written when the stage first starts (its fingerprint)
 *   OUT/<stage>/stage.json         written atomically when it finishes: its presence marks it done
 *
 * On a rerun (--resume) a finished stage with the same fingerprint is skipped, an interrupted one
 * resumes where it stopped (training from its last checkpoint, eval and rejection sampling from
 * their progress logs), and a stage whose recipe changed since it started is refused.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { writeReport } from '../report/index.ts';
import { releaseSessions } from '../tensor/session.ts';
import { runStage } from './kinds.ts';
import { pipelineReport } from './report.ts';
import type { Plan, PlannedStage } from './plan.ts';

export interface StageRecord {
  stage: string;
  kind: string;
  status: 'done';
  fingerprint: string;
  outputs: Record<string, string>;
  summary: string;
  started_at: string;
  finished_at: string;
  /** Wall time of the run that finished the stage (a resumed stage: from its resume). */
  wall_s: number;
  resumed: boolean;
}

export interface PipelineReport {
  recipe: string;
  stages: Array<{ name: string; kind: string; status: 'ran' | 'resumed' | 'skipped' | 'pending'; wall_s: number | null; outputs: Record<string, string>; summary: string | null }>;
}

const readJson = <T>(path: string): T | null => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null);

/** Checks that `out` can hold this run (new, or a resume of the same recipe's stages). */
export function openRunDir(plan: Plan, out: string, resume: boolean): void {
  const recipeFile = join(out, 'recipe.yaml');
  if (existsSync(recipeFile) && !resume) throw new UserError(`${out} already holds a pipeline run; pass --resume to continue it, or choose another --out`);
  if (!existsSync(recipeFile) && resume && existsSync(out)) throw new UserError(`${out} is not a pipeline run directory (no recipe.yaml); drop --resume to start one there`);
  for (const stage of plan.stages) {
    const done = readJson<StageRecord>(join(stage.dir, 'stage.json'));
    const started = readJson<{ fingerprint: string }>(join(stage.dir, 'stage.start.json'));
    const previous = done?.fingerprint ?? started?.fingerprint;
    if (previous !== undefined && previous !== stage.fingerprint) {
      throw new UserError(
        `stage '${stage.name}' ${done ? 'finished' : 'was started'} in ${stage.dir} with different settings (the stage, a variable, or a stage it depends on changed); use another --out, or delete ${stage.dir} to run it again`,
      );
    }
  }
  mkdirSync(out, { recursive: true });
  writeFileAtomic(recipeFile, YAML.stringify(plan.raw));
}

export interface PipelineOptions {
  resume: boolean;
  quiet?: boolean;
  log?: (line: string) => void;
  /**
   * Release every compiled ONNX Runtime session of the process after each stage (default true):
   * a long recipe otherwise keeps every graph shape it compiled. Pass false when the process runs
   * models of its own that must outlive a stage (e.g. an in-process teacher server).
   */
  releaseSessions?: boolean;
}

export async function runPipeline(plan: Plan, out: string, opts: PipelineOptions): Promise<PipelineReport> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  openRunDir(plan, out, opts.resume);
  const report: PipelineReport = {
    recipe: plan.name,
    stages: plan.stages.map((s) => ({ name: s.name, kind: s.kind, status: 'pending', wall_s: null, outputs: s.outputs, summary: null })),
  };
  const save = () => writeFileAtomic(join(out, 'pipeline.json'), JSON.stringify(report, null, 2) + '\n');
  for (const [i, stage] of plan.stages.entries()) {
    const entry = report.stages[i];
    const done = readJson<StageRecord>(join(stage.dir, 'stage.json'));
    if (done) {
      Object.assign(entry, { status: 'skipped', wall_s: done.wall_s, summary: done.summary });
      log(`[${i + 1}/${plan.stages.length}] ${stage.name} (${stage.kind}): finished earlier, skipped`);
      continue;
    }
    const record = await runOne(stage, (line) => log(`[${i + 1}/${plan.stages.length}] ${line}`), opts.quiet ?? false);
    if (opts.releaseSessions ?? true) await releaseSessions();
    Object.assign(entry, { status: record.resumed ? 'resumed' : 'ran', wall_s: record.wall_s, summary: record.summary });
    save();
  }
  save();
  writeReport(join(out, 'report.html'), pipelineReport(plan, report));
  return report;
}

async function runOne(stage: PlannedStage, log: (line: string) => void, quiet: boolean): Promise<StageRecord> {
  const startFile = join(stage.dir, 'stage.start.json');
  const resumed = existsSync(startFile);
  mkdirSync(stage.dir, { recursive: true });
  const startedAt = new Date();
  if (!resumed) writeFileAtomic(startFile, JSON.stringify({ fingerprint: stage.fingerprint, started_at: startedAt.toISOString() }, null, 2) + '\n');
  log(`${stage.name} (${stage.kind}): ${resumed ? 'resuming' : 'starting'} in ${stage.dir}`);
  const t0 = performance.now();
  const summary = await runStage(stage.settings, stage.dir, { quiet });
  const record: StageRecord = {
    stage: stage.name,
    kind: stage.kind,
    status: 'done',
    fingerprint: stage.fingerprint,
    outputs: stage.outputs,
    summary,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    wall_s: (performance.now() - t0) / 1000,
    resumed,
  };
  writeFileAtomic(join(stage.dir, 'stage.json'), JSON.stringify(record, null, 2) + '\n');
  log(`${stage.name}: ${summary} (${record.wall_s.toFixed(1)} s)`);
  return record;
}
