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

/** Trains (or resumes, or skips) the run in `dir`; a directory holding another config is refused. */
export async function trainVariant(cfg: TrainConfig, dir: string, opts: { quiet: boolean; inProcessVerify: boolean }): Promise<RunAction> {
  const exists = existsSync(join(dir, 'config.yaml'));
  if (exists) {
    const stored = parseTrainConfig(RunDir.open(dir).readConfig(), join(dir, 'config.yaml'));
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(stored)), JSON.parse(JSON.stringify(cfg)))) {
      throw new UserError(`${dir} holds a run of a different config (config.yaml differs from this suite's variant); use another --out`);
    }
    if (RunDir.open(dir).latestCheckpoint()?.step === cfg.train.steps) return 'skipped';
  }
  const session = await TrainingSession.open(cfg, { out: dir, resume: exists, inProcessVerify: opts.inProcessVerify });
  try {
    // Every variant gets the label (the data stay identical); only `incorrect_label` reads it.
    for (const item of session.train) item.meta[INCORRECT_LABEL_FIELD] = incorrectLabel(item.answer);
    await runGrpo(session, { quiet: opts.quiet });
  } finally {
    await session.close();
  }
  return exists ? 'resumed' : 'trained';
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
