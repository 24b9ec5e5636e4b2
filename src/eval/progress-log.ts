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
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';

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
    if (existsSync(configPath)) {
      const previous = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
      for (const key of new Set([...Object.keys(previous), ...Object.keys(settings)])) {
        const [was, now] = [JSON.stringify(previous[key]), JSON.stringify(settings[key])];
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

function key(id: string, sampleIndex: number): string {
  return JSON.stringify([id, sampleIndex]);
}
