import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsErrorToUserError } from './output-path.ts';

/** One write call's size limit: a single writeSync cannot take more than 2 GiB. */
const MAX_WRITE = 1 << 30;
const COALESCE = 1 << 20;

/** `<name>.<pid>.<ms>.tmp`, the temporary names writeFileAtomic uses. */
const TEMP_NAME = /^(.+)\.(\d+)\.(\d+)\.tmp$/;

/**
 * Writes a file under a temporary name in the same directory, fsyncs it, renames it into place and
 * fsyncs the directory (so the rename itself survives a power loss). `data` may be an iterable of
 * chunks produced lazily (e.g. one tensor or one JSONL line at a time), so large files are never
 * held in memory whole. On any failure the temporary file is removed and the previous file at
 * `path`, if any, is left untouched; a full, read-only or forbidden filesystem is a UserError
 * naming the path.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<string | Uint8Array>): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      const writeAll = (bytes: Uint8Array) => {
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, Math.min(MAX_WRITE, bytes.length - off));
      };
      // Small string chunks (JSONL lines) are gathered into ~1 MiB writes rather than one syscall each.
      let pending: string[] = [];
      let pendingLength = 0;
      const flush = () => {
        if (pending.length > 0) writeAll(Buffer.from(pending.join(''), 'utf8'));
        pending = [];
        pendingLength = 0;
      };
      for (const chunk of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) {
        if (typeof chunk === 'string' && chunk.length < COALESCE) {
          pending.push(chunk);
          pendingLength += chunk.length;
          if (pendingLength >= COALESCE) flush();
          continue;
        }
        flush();
        writeAll(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      }
      flush();
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the temporary file was never created (its directory could not be)
    }
    throw fsErrorToUserError(err, path);
  }
  fsyncDir(dirname(path));
}

/** Makes a rename or file creation in `dir` durable. */
function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // a platform that cannot open directories has nothing to fsync
  }
  try {
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on directories; the data itself was fsynced
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes the temporary files of writeFileAtomic calls that a killed process never finished
 * (their pid is no longer running) from `dir`; returns how many were removed. Files of live
 * processes, this one included, are left alone.
 */
export function removeStaleTemps(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || isAlive(Number(m[2]))) continue;
    rmSync(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
