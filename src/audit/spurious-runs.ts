/**
 * One GRPO run per reward variant under OUT/runs/<variant>/: started, resumed from its latest
 * checkpoint when interrupted, or skipped when its last step is checkpointed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseTrainConfig, type TrainConfig } from '../rl/config.ts';
import { runGrpo } from '../rl/grpo.ts';
import { TrainingSession } from '../rl/session.ts';
import { RunDir } from '../runs/index.ts';
import { UserError } from '../util/errors.ts';
import { incorrectLabel } from './incorrect-label.ts';
import { INCORRECT_LABEL_FIELD } from './spurious-variants.ts';

export type RunAction = 'trained' | 'resumed' | 'skipped';

export interface TrainingPoint {
  step: number;
  reward_mean: number;
  /** Rollouts verified against the gold answer, whatever the training reward. */
  accuracy: number | null;
}

/** Refuses a run directory that holds a run of another config (checked for every variant before any training). */
export function checkExistingRun(cfg: TrainConfig, dir: string): void {
  if (!existsSync(join(dir, 'config.yaml'))) return;
  const stored = parseTrainConfig(RunDir.open(dir).readConfig(), join(dir, 'config.yaml'));
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(stored)), JSON.parse(JSON.stringify(cfg)))) {
    throw new UserError(`${dir} holds a run of a different config (config.yaml differs from this suite's variant); use another --out`);
  }
}

/** new: no run yet; interrupted: started, last step not checkpointed; finished: nothing left to do. */
export function runState(cfg: TrainConfig, dir: string): 'new' | 'interrupted' | 'finished' {
  if (!existsSync(join(dir, 'config.yaml'))) return 'new';
  return RunDir.open(dir).latestCheckpoint()?.step === cfg.train.steps ? 'finished' : 'interrupted';
}

/** Starts the run in `dir`, or resumes it from its latest checkpoint. */
export async function trainVariant(cfg: TrainConfig, dir: string, opts: { resume: boolean; quiet: boolean; inProcessVerify: boolean }): Promise<void> {
  const session = await TrainingSession.open(cfg, { out: dir, resume: opts.resume, inProcessVerify: opts.inProcessVerify });
  try {
    // Every variant gets the label (the data stay identical); only `incorrect_label` reads it.
    for (const item of session.train) item.meta[INCORRECT_LABEL_FIELD] = incorrectLabel(item.answer);
    await runGrpo(session, { quiet: opts.quiet });
  } finally {
    await session.close();
  }
}

export function trainingCurve(dir: string): TrainingPoint[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TrainingPoint)
    .map(({ step, reward_mean, accuracy }) => ({ step, reward_mean, accuracy }));
}
