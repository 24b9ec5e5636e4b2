/** A run's metrics.jsonl kept in memory and extended by what is appended (one row per step). */
import { JsonlTail } from './jsonl-tail.ts';

export type MetricsRow = Record<string, unknown>;

export interface MetricsSlice {
  /** Changes when the file was replaced and read again from the start: rows before `from` are stale then. */
  generation: number;
  from: number;
  /** Cursor for the next request: the row count. */
  next: number;
  /** Every key seen in any row, in order of first appearance. */
  keys: string[];
  /** Columnar rows [from, next): columns[key][i], null where a row lacks the key or it is not a finite number. */
  columns: Record<string, Array<number | null>>;
  errors: string[];
}

export class MetricsStore {
  readonly rows: MetricsRow[] = [];
  private generation = 0;
  private readonly keySet = new Set<string>();
  private readonly shapeErrors: string[] = [];
  private readonly tail: JsonlTail;

  constructor(readonly path: string) {
    this.tail = new JsonlTail(
      path,
      (l) => {
        if (typeof l.value !== 'object' || l.value === null || Array.isArray(l.value)) {
          if (this.shapeErrors.length < 5)
            this.shapeErrors.push(`metrics.jsonl line ${l.line}: not a JSON object`);
          return;
        }
        for (const k of Object.keys(l.value)) this.keySet.add(k);
        this.rows.push(l.value as MetricsRow);
      },
      () => {
        this.generation++;
        this.rows.length = 0;
        this.keySet.clear();
        this.shapeErrors.length = 0;
      },
    );
  }

  update(): number {
    return this.tail.update();
  }

  get errors(): string[] {
    return [...this.tail.errors, ...this.shapeErrors];
  }

  get last(): MetricsRow | undefined {
    return this.rows.at(-1);
  }

  /** The last finite value of `key` (e.g. val_accuracy, logged on validation steps only). */
  lastValue(key: string): number | null {
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const v = this.rows[i][key];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
    }
    return null;
  }

  slice(from: number): MetricsSlice {
    const start = Math.min(Math.max(0, from), this.rows.length);
    const keys = [...this.keySet];
    const rows = this.rows.slice(start);
    const columns: MetricsSlice['columns'] = {};
    for (const k of keys)
      columns[k] = rows.map((r) =>
        typeof r[k] === 'number' && Number.isFinite(r[k]) ? (r[k] as number) : null,
      );
    return {
      generation: this.generation,
      from: start,
      next: this.rows.length,
      keys,
      columns,
      errors: this.errors,
    };
  }
}
