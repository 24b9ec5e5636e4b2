/**
 * A run directory: the resolved config, append-only metrics and samples logs, and checkpoints.
 *
 *   RUN/config.yaml              resolved config (every default filled in)
 *   RUN/metrics.jsonl            one line per step
 *   RUN/samples.jsonl            sampled prompts with completions, rewards, advantages
 *   RUN/checkpoints/step-N/      Hugging Face model + optimizer.safetensors + trainer_state.json
 *
 * A checkpoint is written under a temporary name and renamed into place, so a crash mid-save
 * leaves the previous checkpoints intact and the partial one invisible.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { removeStaleTemps, writeFileAtomic } from '../util/atomic.ts';
import { checkOutputDir } from '../util/output-path.ts';
import { UserError } from '../util/errors.ts';

const STEP_DIR = /^step-(\d+)$/;

export class RunDir {
  private constructor(readonly dir: string) {}

  get checkpointsDir(): string {
    return join(this.dir, 'checkpoints');
  }

  /** A new run: refuses a directory that already holds a run (resume it instead). */
  static create(dir: string, resolvedConfig: unknown): RunDir {
    checkOutputDir(dir, '--out');
    if (existsSync(join(dir, 'config.yaml'))) {
      throw new UserError(`${dir} already holds a run (config.yaml exists); pass --resume ${dir} to continue it, or choose another --out`);
    }
    mkdirSync(join(dir, 'checkpoints'), { recursive: true });
    writeFileAtomic(join(dir, 'config.yaml'), YAML.stringify(resolvedConfig));
    return new RunDir(dir);
  }

  static open(dir: string): RunDir {
    if (!existsSync(join(dir, 'config.yaml'))) throw new UserError(`${dir} is not a run directory (no config.yaml)`);
    checkOutputDir(dir, '--resume');
    removeStaleTemps(dir);
    return new RunDir(dir);
  }

  /**
   * Saves the config a resumed run continues with after `--set` overrides, so the next resume
   * keeps them (e.g. a longer `train.steps`, which changes the schedule); each change is also
   * appended to overrides.jsonl with the step it took effect at.
   */
  updateConfig(resolvedConfig: unknown, overrides: readonly string[], step: number): void {
    writeFileAtomic(join(this.dir, 'config.yaml'), YAML.stringify(resolvedConfig));
    appendLine(join(this.dir, 'overrides.jsonl'), JSON.stringify({ at: new Date().toISOString(), step, set: overrides }));
  }

  readConfig(): unknown {
    const path = join(this.dir, 'config.yaml');
    try {
      return YAML.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new UserError(`${path} is not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
  }

  appendMetrics(row: Record<string, unknown>): void {
    appendLine(join(this.dir, 'metrics.jsonl'), JSON.stringify(row));
  }

  appendSamples(rows: Array<Record<string, unknown>>): void {
    if (rows.length) appendLine(join(this.dir, 'samples.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
  }

  /** Drops log lines of steps after `step` (work done after the checkpoint a resume starts from). */
  truncateLogsAfter(step: number): void {
    for (const file of ['metrics.jsonl', 'samples.jsonl']) {
      const path = join(this.dir, file);
      if (!existsSync(path)) continue;
      const kept = readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => {
          if (!line.trim()) return false;
          try {
            return (JSON.parse(line) as { step?: number }).step! <= step;
          } catch {
            return false; // a torn last line from a crash
          }
        });
      writeFileAtomic(path, kept.length ? kept.join('\n') + '\n' : '');
    }
  }

  /** Complete checkpoints in step order (temporary directories of interrupted saves are ignored). */
  checkpoints(): Array<{ step: number; dir: string }> {
    if (!existsSync(this.checkpointsDir)) return [];
    return readdirSync(this.checkpointsDir)
      .map((name) => ({ name, m: STEP_DIR.exec(name) }))
      .filter((e) => e.m && existsSync(join(this.checkpointsDir, e.name, 'trainer_state.json')))
      .map((e) => ({ step: Number(e.m![1]), dir: join(this.checkpointsDir, e.name) }))
      .sort((a, b) => a.step - b.step);
  }

  latestCheckpoint(): { step: number; dir: string } | null {
    return this.checkpoints().at(-1) ?? null;
  }

  /**
   * Writes a checkpoint through `write(tmpDir)`, then renames it to `step-N`. Leftovers of
   * interrupted saves are removed first.
   */
  saveCheckpoint(step: number, write: (tmpDir: string) => void): string {
    mkdirSync(this.checkpointsDir, { recursive: true });
    for (const name of readdirSync(this.checkpointsDir)) {
      if (name.startsWith('.tmp-')) rmSync(join(this.checkpointsDir, name), { recursive: true, force: true });
    }
    const tmp = join(this.checkpointsDir, `.tmp-step-${step}-${process.pid}`);
    mkdirSync(tmp, { recursive: true });
    write(tmp);
    const final = join(this.checkpointsDir, `step-${step}`);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    const fd = openSync(this.checkpointsDir, 'r');
    fsyncSync(fd);
    closeSync(fd);
    return final;
  }
}

function appendLine(path: string, text: string): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, text + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
