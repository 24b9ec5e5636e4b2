/**
 * The resume state of an evaluation in its output directory: `progress.jsonl`, one fsynced line
 * per finished sample (a torn last line is dropped on open), and `progress.config.json`, the
 * settings those samples were made with. A rerun with different settings is refused rather
 * than mixing samples of two evaluations.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage } from '../backends/policy.ts';
import { ResponseCache } from '../backends/response-cache.ts';
import { removeStaleTemps, writeFileAtomic } from '../util/atomic.ts';
import { checkOutputDir } from '../util/output-path.ts';
import { UserError } from '../util/errors.ts';
import { stripBom } from '../util/lines.ts';

/** One sample as recorded in progress.jsonl and written to samples.jsonl. */
export interface SampleRecord {
  id: string;
  sample_index: number;
  /** The sampler seed of this sample (see run.ts `sampleSeed`). */
  seed: number;
  /** The prompt text, or the conversation for chat templates. */
  prompt: string | ChatMessage[];
  gold: string;
  response: string;
  extracted: string | null;
  correct: boolean;
  format_ok: boolean;
  /** The verifier's reason for its verdict. */
  verify_reason: string;
  response_tokens: number;
  finish_reason: 'stop' | 'length';
}

export class ProgressLog {
  private readonly cache: ResponseCache<SampleRecord>;
  readonly path: string;

  /** Opens (or starts) the log in `outDir`; `settings` must equal those of an existing log. */
  constructor(outDir: string, settings: Record<string, unknown>) {
    const configPath = join(outDir, 'progress.config.json');
    this.path = join(outDir, 'progress.jsonl');
    checkOutputDir(outDir, '--out');
    removeStaleTemps(outDir);
    if (existsSync(configPath)) {
      const previous = readSettings(configPath);
      for (const key of new Set([...Object.keys(previous), ...Object.keys(settings)])) {
        const [was, now] = [JSON.stringify(previous[key]) ?? '(unset)', JSON.stringify(settings[key]) ?? '(unset)'];
        if (was !== now) {
          throw new UserError(
            `${outDir} holds an evaluation made with ${key} = ${was}, not ${now}; use another --out directory, or delete ${this.path} and ${configPath} to start over`,
          );
        }
      }
    } else {
      writeFileAtomic(configPath, JSON.stringify(settings, null, 2) + '\n');
    }
    this.cache = new ResponseCache<SampleRecord>(this.path);
  }

  get size(): number {
    return this.cache.size;
  }

  get(id: string, sampleIndex: number): SampleRecord | undefined {
    return this.cache.get(key(id, sampleIndex));
  }

  /** Appends and fsyncs the record. */
  put(record: SampleRecord): void {
    this.cache.put(key(record.id, record.sample_index), record);
  }

  close(): void {
    this.cache.close();
  }
}

function readSettings(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(stripBom(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new UserError(`${path} is corrupt (${(err as Error).message}); delete it and progress.jsonl beside it to start the evaluation over, or use another --out`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`${path} is corrupt (not a JSON object); delete it and progress.jsonl beside it to start over, or use another --out`);
  }
  return value as Record<string, unknown>;
}

function key(id: string, sampleIndex: number): string {
  return JSON.stringify([id, sampleIndex]);
}
