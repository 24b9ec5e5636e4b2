import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** One write call's size limit: a single writeSync cannot take more than 2 GiB. */
const MAX_WRITE = 1 << 30;

/**
 * Writes a file under a temporary name in the same directory, fsyncs it, then renames it into place.
 * `data` may be an iterable of chunks produced lazily (e.g. one tensor at a time), so large files
 * are never held in memory whole.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<string | Uint8Array>): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, Math.min(MAX_WRITE, bytes.length - off));
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
