import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 1 << 20;

/**
 * Calls `onLine` for every newline-terminated line of `path` (without the newline; a UTF-8 byte
 * order mark at the start of the file is dropped), reading it in 1 MiB chunks, so a file far
 * larger than V8's string limit can be read. Returns the byte length of the complete lines:
 * anything after it is a last line whose write did not finish. Written by hand because node's
 * readline is asynchronous and this runs in constructors that open a resume log.
 */
export function forEachLineSync(path: string, onLine: (text: string, lineNumber: number) => void): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNumber = 0;
  let completeBytes = 0;
  let pendingBytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      let start = 0;
      for (let i = 0; i < n; i++) {
        if (buf[i] !== 0x0a) continue;
        const text = pending + decoder.write(buf.subarray(start, i)) + decoder.end();
        completeBytes += pendingBytes + (i - start) + 1;
        pending = '';
        pendingBytes = 0;
        start = i + 1;
        lineNumber++;
        onLine(lineNumber === 1 ? stripBom(text) : text, lineNumber);
      }
      pending += decoder.write(buf.subarray(start, n));
      pendingBytes += n - start;
    }
  } finally {
    closeSync(fd);
  }
  return completeBytes;
}

/** Drops a UTF-8 byte order mark (U+FEFF), which editors on Windows put at the start of files. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
