import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';

export interface ModelRef {
  /** `step-N` for a run's checkpoint, else the directory as given. */
  label: string;
  step: number | null;
  dir: string;
}

/** The checkpoints of a run, RUN_DIR/checkpoints/step-N/, in increasing N. */
export function runCheckpoints(runDir: string): ModelRef[] {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(runDir)) throw new UserError(`run directory ${runDir} does not exist`);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new UserError(`${root}: no checkpoints directory (expected ${root}/step-N/)`);
  const refs = readdirSync(root)
    .map((name) => ({ name, m: /^step-(\d+)$/.exec(name) }))
    .filter(({ name, m }) => m !== null && statSync(join(root, name)).isDirectory())
    .map(({ name, m }) => ({ label: name, step: Number(m![1]), dir: join(root, name) }))
    .sort((a, b) => a.step - b.step);
  if (refs.length === 0) throw new UserError(`${root}: no step-N checkpoint directories`);
  return refs;
}

/** Model directories given one by one, in the order given. */
export function modelList(dirs: readonly string[]): ModelRef[] {
  if (dirs.length === 0) throw new UserError('--models lists no directories');
  return dirs.map((dir) => {
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UserError(`model directory ${dir} does not exist`);
    return { label: dir, step: null, dir };
  });
}
