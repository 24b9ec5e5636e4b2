/**
 * Incremental reader of an append-only JSONL file that another process may be writing: each
 * `update()` reads only the bytes appended since the last call (a byte offset is kept), never the
 * whole file again.
 *
 * - A torn last line (the writer is between write calls, or crashed mid-line) is left unread until
 *   its newline arrives; a final line without a newline is taken only if it is a complete JSON
 *   object (a finished file written without a trailing newline).
 * - A file replaced by another one (a new inode, as writeFileAtomic's rename and the trainer's
 *   log truncation on resume do) or shrunk is read again from the start (`onReset` first).
 * - A line that is not valid JSON is skipped and recorded in `errors` with its line number; the
 *   rest of the file is still read.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';

const CHUNK = 4 << 20;
const MAX_ERRORS = 5;

export interface JsonlLine {
  value: unknown;
  /** Byte offset of the line's first byte and its length without the newline. */
  offset: number;
  length: number;
  /** 1-based line number in the file. */
  line: number;
}

export class JsonlTail {
  private offset = 0;
  private lineNo = 0;
  private inode = -1;
  /** A final line taken without its newline: a newline arriving later ends it, it is not a blank line. */
  private pendingNewline = false;
  private busy: Promise<number> | null = null;
  readonly errors: string[] = [];
  badLines = 0;

  constructor(
    readonly path: string,
    private readonly onLine: (line: JsonlLine) => void,
    private readonly onReset: () => void = () => {},
  ) {}

  /** Bytes read so far (the offset of the first unread byte). */
  get bytesRead(): number {
    return this.offset;
  }

  /**
   * Reads what was appended since the last call; returns the number of new lines. A missing file
   * has no lines. While an `updateAsync` is under way this returns 0 (that call reads the bytes).
   */
  update(): number {
    if (this.busy) return 0;
    const steps = this.read();
    let r = steps.next();
    while (!r.done) r = steps.next();
    return r.value;
  }

  /**
   * As `update`, yielding to the event loop after each 4 MiB chunk, so that indexing a large file
   * does not stall the server's other requests. Concurrent calls share one read.
   */
  updateAsync(): Promise<number> {
    if (!this.busy) {
      const reading = this.readInChunks();
      this.busy = reading;
      // cleared once settled, whether or not the read ever yielded
      const clear = () => {
        if (this.busy === reading) this.busy = null;
      };
      reading.then(clear, clear);
    }
    return this.busy;
  }

  private async readInChunks(): Promise<number> {
    const steps = this.read();
    let r = steps.next();
    while (!r.done) {
      await new Promise((resolve) => setImmediate(resolve));
      r = steps.next();
    }
    return r.value;
  }

  /** The reading itself: yields after each chunk. */
  private *read(): Generator<undefined, number, undefined> {
    let st;
    try {
      st = statSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (this.inode !== -1) this.reset(-1);
      return 0;
    }
    if (st.ino !== this.inode || st.size < this.offset) this.reset(st.ino);
    if (st.size === this.offset) return 0;
    const fd = openSync(this.path, 'r');
    let count = 0;
    try {
      let carry = Buffer.alloc(0);
      let pos = this.offset;
      while (pos < st.size) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, st.size - pos));
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) break;
        pos += n;
        const data = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
        let start = 0;
        for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
          count += this.take(data, start, nl, this.offset + start);
          start = nl + 1;
        }
        this.offset += start;
        carry = Buffer.from(data.subarray(start));
        if (pos < st.size) yield;
      }
      if (carry.length && this.takeUnterminated(carry)) {
        count++;
        this.offset += carry.length;
        this.pendingNewline = true;
      }
    } finally {
      closeSync(fd);
    }
    return count;
  }

  private reset(inode: number): void {
    this.offset = 0;
    this.lineNo = 0;
    this.inode = inode;
    this.pendingNewline = false;
    this.errors.length = 0;
    this.badLines = 0;
    this.onReset();
  }

  private take(data: Buffer, start: number, end: number, offset: number): number {
    if (this.pendingNewline && start === end && start === 0) {
      this.pendingNewline = false;
      return 0;
    }
    this.pendingNewline = false;
    this.lineNo++;
    const text = data.toString('utf8', start, end);
    if (!text.trim()) return 0;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.badLines++;
      if (this.errors.length < MAX_ERRORS)
        this.errors.push(`${basename(this.path)} line ${this.lineNo}: not valid JSON (${preview(text)})`);
      return 0;
    }
    this.onLine({ value, offset, length: Buffer.byteLength(text), line: this.lineNo });
    return 1;
  }

  private takeUnterminated(carry: Buffer): boolean {
    const text = carry.toString('utf8').trimEnd();
    if (!text.endsWith('}')) return false;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false; // torn: wait for the rest of the line
    }
    this.lineNo++;
    this.onLine({ value, offset: this.offset, length: carry.length, line: this.lineNo });
    return true;
  }
}

function preview(text: string): string {
  return text.length > 60 ? JSON.stringify(text.slice(0, 60)) + '…' : JSON.stringify(text);
}
