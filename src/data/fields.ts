import { UserError } from '../util/errors.ts';
import type { JsonlRow } from './jsonl.ts';
import { rawTopLevelValue } from './rawjson.ts';

/** Reads fields of one JSONL row; every failure names the field, the file and the line. */
export class RowReader {
  constructor(
    readonly row: JsonlRow,
    readonly file: string,
  ) {}

  where(): string {
    return `${this.file}:${this.row.line}`;
  }

  fail(message: string): never {
    throw new UserError(`${this.where()}: ${message}`);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.row.value, name);
  }

  get(name: string): unknown {
    if (!this.has(name)) this.fail(`missing field '${name}' (fields present: ${Object.keys(this.row.value).join(', ')})`);
    return this.row.value[name];
  }

  string(name: string): string {
    const v = this.get(name);
    if (typeof v !== 'string') this.fail(`field '${name}' must be a string, got ${describe(v)}`);
    return v;
  }

  optionalString(name: string): string | undefined {
    const v = this.row.value[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(`field '${name}' must be a string, got ${describe(v)}`);
    return v;
  }

  /** A string, or a number written as its source text (`27.0` stays `27.0`). */
  text(name: string): string {
    const v = this.get(name);
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return rawTopLevelValue(this.row.text, name) ?? String(v);
    this.fail(`field '${name}' must be a string or a number, got ${describe(v)}`);
  }

  /** An id: a string, or a number written as its source text. */
  id(name: string): string {
    return this.text(name);
  }

  stringList(name: string): string[] {
    const v = this.get(name);
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) {
      this.fail(`field '${name}' must be a non-empty list of strings, got ${describe(v)}`);
    }
    return v as string[];
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 60 ? s.slice(0, 57) + '...' : s}`;
}
