/**
 * A byte-offset index over one per-sample log (one entry per group: a line, or an evaluation
 * item's consecutive sample lines), built incrementally as the file grows (JsonlTail),
 * so a page of a 100k-line log reads only the lines it shows. Per line the index keeps its
 * offset, length, step and a bit set (some completion correct / incorrect / stopped / cut at the
 * length limit, and per reward component some completion > 0 / ≤ 0); filters on those are
 * answered from the index, then checked exactly on the lines read. Text search reads lines,
 * with a budget per request: a page that runs out of budget says where to continue.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { JsonlTail } from './jsonl-tail.ts';
import {
  type CompletionFilter,
  completionMatches,
  hasCompletionFilter,
  mergeGroups,
  type SampleGroup,
  type SourceKind,
  textMatches,
  toGroup,
} from './sample-groups.ts';

const CORRECT = 1;
const INCORRECT = 2;
const STOP = 4;
const LENGTH = 8;
const COMPONENT_BITS = 4;
/** Components past this many are filtered by reading the lines (no index bit left). */
const MAX_INDEXED_COMPONENTS = 14;
/** Lines read per request at most when the index cannot decide (text search, combined filters). */
const READ_BUDGET = 20_000;

export interface SamplesQuery {
  /** Line index to start from (inclusive); default the newest line (desc) or the first (asc). */
  cursor?: number;
  order: 'asc' | 'desc';
  limit: number;
  stepMin?: number;
  stepMax?: number;
  filter: CompletionFilter;
  /** Case-insensitive substring of the id, prompt, gold answer or a completion. */
  text?: string;
}

export interface SamplesPage {
  /** Groups in the log (a training log: its lines). */
  lines: number;
  steps: { min: number; max: number } | null;
  components: string[];
  /** `entry`: the group's index in the log (what cursors count); `line`: its first line's number in the file (1-based). */
  groups: Array<SampleGroup & { entry: number; line: number }>;
  /** Where the next page starts, null at the end. */
  next: number | null;
  /** Matching groups in the whole log, when the index alone decides (null with text search or combined filters). */
  total: number | null;
  /** Lines read to fill this page. */
  read: number;
  errors: string[];
}

export class SamplesIndex {
  private offsets: number[] = [];
  private lengths: number[] = [];
  private steps: number[] = [];
  private flags: number[] = [];
  private items: Array<string | undefined> = [];
  private lineNos: number[] = [];
  private componentBit = new Map<string, number>();
  private shapeErrors: string[] = [];
  private stepMin = Infinity;
  private stepMax = -Infinity;
  private readonly tail: JsonlTail;

  constructor(
    readonly path: string,
    readonly kind: SourceKind,
  ) {
    this.tail = new JsonlTail(
      path,
      (l) => this.add(l.value, l.offset, l.length, l.line),
      () => this.clear(),
    );
  }

  get lines(): number {
    return this.offsets.length;
  }

  get errors(): string[] {
    return [...this.tail.errors, ...this.shapeErrors];
  }

  /** Indexes lines appended since the last call. */
  update(): number {
    return this.tail.update();
  }

  /** As `update`, yielding to the event loop between chunks (a first index of a large log). */
  updateAsync(): Promise<number> {
    return this.tail.updateAsync();
  }

  private clear(): void {
    this.offsets = [];
    this.lengths = [];
    this.steps = [];
    this.flags = [];
    this.items = [];
    this.lineNos = [];
    this.componentBit.clear();
    this.shapeErrors = [];
    this.stepMin = Infinity;
    this.stepMax = -Infinity;
  }

  private add(value: unknown, offset: number, length: number, line: number): void {
    let group: SampleGroup;
    try {
      group = toGroup(this.kind, value);
    } catch (err) {
      if (this.shapeErrors.length < 5) this.shapeErrors.push(`line ${line}: ${(err as Error).message}`);
      return;
    }
    let bits = 0;
    for (const c of group.completions) {
      if (c.correct === true) bits |= CORRECT;
      if (c.correct === false) bits |= INCORRECT;
      if (c.finish_reason === 'stop') bits |= STOP;
      if (c.finish_reason === 'length') bits |= LENGTH;
      for (const [name, v] of Object.entries(c.components ?? {})) {
        let k = this.componentBit.get(name);
        if (k === undefined) this.componentBit.set(name, (k = this.componentBit.size));
        if (k < MAX_INDEXED_COMPONENTS && typeof v === 'number')
          bits |= 1 << (COMPONENT_BITS + 2 * k + (v > 0 ? 0 : 1));
      }
    }
    const step = group.step ?? NaN;
    if (!Number.isNaN(step)) {
      this.stepMin = Math.min(this.stepMin, step);
      this.stepMax = Math.max(this.stepMax, step);
    }
    const last = this.offsets.length - 1;
    if (
      group.item !== undefined &&
      this.kind === 'eval' &&
      last >= 0 &&
      this.items[last] === group.item &&
      this.offsets[last] + this.lengths[last] + 1 === offset
    ) {
      // the next sample of the same item: one entry spans the item's consecutive lines
      this.lengths[last] = offset + length - this.offsets[last];
      this.flags[last] |= bits;
      return;
    }
    this.items.push(group.item);
    this.lineNos.push(line);
    this.offsets.push(offset);
    this.lengths.push(length);
    this.steps.push(step);
    this.flags.push(bits);
  }

  /** The index bits a matching line must have all of (-1: nothing can match), and whether they decide the filter alone. */
  private requiredBits(f: CompletionFilter): { mask: number; exact: boolean } {
    let mask = 0;
    let conditions = 0;
    if (f.correct !== undefined) {
      mask |= f.correct ? CORRECT : INCORRECT;
      conditions++;
    }
    if (f.finish === 'stop' || f.finish === 'length') {
      mask |= f.finish === 'stop' ? STOP : LENGTH;
      conditions++;
    } else if (f.finish !== undefined) conditions += 2; // unindexed value: read the lines
    if (f.component) {
      const k = this.componentBit.get(f.component.name);
      if (k === undefined) return { mask: -1, exact: true }; // no line has it
      if (k < MAX_INDEXED_COMPONENTS) mask |= 1 << (COMPONENT_BITS + 2 * k + (f.component.positive ? 0 : 1));
      else conditions++;
      conditions++;
    }
    // Bits are per line; two conditions may hold for different completions, so only a single
    // condition is decided by the index alone.
    return { mask, exact: conditions <= 1 };
  }

  private inSteps(i: number, q: SamplesQuery): boolean {
    const s = this.steps[i];
    if (q.stepMin !== undefined && !(s >= q.stepMin)) return false;
    if (q.stepMax !== undefined && !(s <= q.stepMax)) return false;
    return true;
  }

  page(q: SamplesQuery): SamplesPage {
    const n = this.lines;
    const { mask, exact } = this.requiredBits(q.filter);
    const text = q.text?.trim().toLowerCase() || undefined;
    const candidate = (i: number) => mask !== -1 && (this.flags[i] & mask) === mask && this.inSteps(i, q);
    const decided = exact && text === undefined;
    let total: number | null = null;
    if (decided) {
      total = 0;
      for (let i = 0; i < n; i++) if (candidate(i)) total++;
    }
    const groups: SamplesPage['groups'] = [];
    const dir = q.order === 'desc' ? -1 : 1;
    let i = q.cursor ?? (dir === -1 ? n - 1 : 0);
    i = Math.min(Math.max(i, -1), n);
    let read = 0;
    const fd = n ? openSync(this.path, 'r') : -1;
    try {
      for (; i >= 0 && i < n && groups.length < q.limit && read < READ_BUDGET; i += dir) {
        if (!candidate(i)) continue;
        const group = this.read(fd, i);
        read++;
        if (!group) continue;
        if (hasCompletionFilter(q.filter) && !group.completions.some((c) => completionMatches(c, q.filter)))
          continue;
        if (text !== undefined && !textMatches(group, text)) continue;
        groups.push({ ...group, entry: i, line: this.lineNos[i] });
      }
    } finally {
      if (fd !== -1) closeSync(fd);
    }
    return {
      lines: n,
      steps: this.stepMin <= this.stepMax ? { min: this.stepMin, max: this.stepMax } : null,
      components: [...this.componentBit.keys()],
      groups,
      next: i >= 0 && i < n ? i : null,
      total,
      read,
      errors: this.errors,
    };
  }

  private read(fd: number, i: number): SampleGroup | null {
    const buf = Buffer.allocUnsafe(this.lengths[i]);
    readSync(fd, buf, 0, buf.length, this.offsets[i]);
    try {
      const lines = buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim());
      return mergeGroups(lines.map((l) => toGroup(this.kind, JSON.parse(l))));
    } catch {
      return null; // the file was replaced since it was indexed; the next update re-reads it
    }
  }
}
