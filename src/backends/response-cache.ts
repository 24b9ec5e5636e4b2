import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { UserError } from '../util/errors.ts';
import { forEachLineSync } from '../util/lines.ts';

/** The cache's identity of one sample: everything that determines what the server answers. */
export interface CacheKeyParts {
  /** The kind of backend, not its address: a restarted server on another port still hits. */
  backend: string;
  model: string;
  /** The text prompt or the chat messages. */
  input: unknown;
  sampling: unknown;
  sampleIndex: number;
}

/** SHA-256 (hex) of the parts as canonical JSON (keys sorted at every level). */
export function cacheKey(parts: CacheKeyParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

interface CacheLine<V> {
  key: string;
  value: V;
}

/**
 * An append-only JSONL file of `{"key": ..., "value": ...}` lines, each fsynced before `put`
 * returns, so a finished request is never asked again after a crash. A torn last line (a crash
 * mid-write) is dropped on open; a malformed line elsewhere is an error naming the line. The first
 * record of a key wins.
 */
export class ResponseCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly fd: number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) this.load();
    this.fd = openSync(path, 'a');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  put(key: string, value: V): void {
    if (this.entries.has(key)) return;
    this.entries.set(key, value);
    const line = Buffer.from(JSON.stringify({ key, value } satisfies CacheLine<V>) + '\n', 'utf8');
    let off = 0;
    while (off < line.length) off += writeSync(this.fd, line, off, line.length - off);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }

  private load(): void {
    const complete = forEachLineSync(this.path, (text, lineNumber) => {
      if (text.trim() === '') return;
      let record: CacheLine<V>;
      try {
        record = JSON.parse(text) as CacheLine<V>;
      } catch {
        throw new UserError(`${this.path}:${lineNumber}: malformed response-cache line; delete the file to start over`);
      }
      if (typeof record?.key !== 'string' || !('value' in record)) throw new UserError(`${this.path}:${lineNumber}: not a response-cache record`);
      if (!this.entries.has(record.key)) this.entries.set(record.key, record.value);
    });
    // Anything after the last newline is a record whose write did not finish.
    if (complete < statSync(this.path).size) truncateSync(this.path, complete);
  }
}
