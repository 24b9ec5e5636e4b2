import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { UserError } from '../util/errors.ts';
import { stripBom } from '../util/lines.ts';

export interface JsonlRow {
  /** 1-based line number in the file. */
  line: number;
  /** 0-based index among the non-blank lines (the row index). */
  index: number;
  /** The line's text, for callers that need a value's source form (see rawjson.ts). */
  text: string;
  value: Record<string, unknown>;
}

/**
 * Streams a JSONL file one object per line. Blank lines are skipped. A missing file, an empty
 * file, a malformed line or a line that is not a JSON object is a UserError naming the file (and line).
 */
export async function* readJsonl(path: string): AsyncGenerator<JsonlRow> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UserError(`${path}: not a file`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${path}: file not found`);
    throw err;
  }
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  try {
    for await (const raw of lines) {
      line++;
      const text = line === 1 ? stripBom(raw) : raw;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new UserError(`${path}:${line}: malformed JSON (${(err as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new UserError(`${path}:${line}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
      }
      yield { line, index: index++, text, value: value as Record<string, unknown> };
    }
  } finally {
    lines.close();
  }
  if (index === 0) throw new UserError(`${path}: empty file (no JSON lines)`);
}
