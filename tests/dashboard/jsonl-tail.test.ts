import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JsonlTail } from '../../src/dashboard/jsonl-tail.ts';

const dir = mkdtempSync(join(tmpdir(), 'rlvr-tail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function collect(path: string) {
  const seen: Array<{ value: unknown; offset: number; length: number; line: number }> = [];
  let resets = 0;
  const tail = new JsonlTail(
    path,
    (l) => seen.push(l),
    () => resets++,
  );
  return { tail, seen, resets: () => resets };
}

test('reads only appended lines; a torn last line waits for its newline', () => {
  const path = join(dir, 'a.jsonl');
  writeFileSync(path, '{"step":1}\n{"step":2}\n');
  const { tail, seen } = collect(path);
  assert.equal(tail.update(), 2);
  assert.equal(tail.bytesRead, 22);
  appendFileSync(path, '{"step":3,"x":"é');
  assert.equal(tail.update(), 0, 'torn line not taken');
  assert.equal(tail.bytesRead, 22, 'offset stays at the start of the torn line');
  appendFileSync(path, '"}\n{"step":4}\n');
  assert.equal(tail.update(), 2);
  assert.deepEqual(
    seen.map((s) => s.value),
    [{ step: 1 }, { step: 2 }, { step: 3, x: 'é' }, { step: 4 }],
  );
  // offsets and byte lengths address each line exactly (multi-byte text included)
  const bytes = Buffer.from('{"step":1}\n{"step":2}\n{"step":3,"x":"é"}\n{"step":4}\n');
  for (const s of seen)
    assert.deepEqual(JSON.parse(bytes.subarray(s.offset, s.offset + s.length).toString()), s.value);
  assert.deepEqual(
    seen.map((s) => s.line),
    [1, 2, 3, 4],
  );
  assert.equal(tail.update(), 0, 'nothing new');
});

test('a complete final object without a newline is read once; the newline that follows is not a line', () => {
  const path = join(dir, 'b.jsonl');
  writeFileSync(path, '{"a":1}\n{"a":2}');
  const { tail, seen } = collect(path);
  assert.equal(tail.update(), 2);
  appendFileSync(path, '\n{"a":3}\n');
  assert.equal(tail.update(), 1);
  assert.deepEqual(
    seen.map((s) => [s.value, s.line]),
    [
      [{ a: 1 }, 1],
      [{ a: 2 }, 2],
      [{ a: 3 }, 3],
    ],
  );
});

test('a corrupt line is skipped and reported with its number; the rest is read', () => {
  const path = join(dir, 'c.jsonl');
  writeFileSync(path, '{"a":1}\nnot json\n\n{"a":3}\n');
  const { tail, seen } = collect(path);
  assert.equal(tail.update(), 2);
  assert.deepEqual(
    seen.map((s) => s.value),
    [{ a: 1 }, { a: 3 }],
  );
  assert.equal(tail.badLines, 1);
  assert.deepEqual(tail.errors, ['c.jsonl line 2: not valid JSON ("not json")']);
});

test('a replaced (renamed over) or truncated file is read again from the start', () => {
  const path = join(dir, 'd.jsonl');
  writeFileSync(path, '{"s":1}\n{"s":2}\n{"s":3}\n');
  const { tail, seen, resets } = collect(path);
  tail.update();
  const resetsAfterOpen = resets();
  // a resume rewrites the log atomically without the steps after its checkpoint
  writeFileSync(join(dir, 'd.tmp'), '{"s":1}\n');
  renameSync(join(dir, 'd.tmp'), path);
  seen.length = 0;
  assert.equal(tail.update(), 1);
  assert.equal(resets(), resetsAfterOpen + 1);
  assert.deepEqual(
    seen.map((s) => s.value),
    [{ s: 1 }],
  );
  truncateSync(path, 0);
  seen.length = 0;
  assert.equal(tail.update(), 0);
  appendFileSync(path, '{"s":9}\n');
  assert.equal(tail.update(), 1);
  assert.deepEqual(
    seen.map((s) => s.value),
    [{ s: 9 }],
  );
});

test('a missing file has no lines; chunk boundaries do not split lines', () => {
  const missing = collect(join(dir, 'absent.jsonl'));
  assert.equal(missing.tail.update(), 0);
  // lines longer than one read chunk (4 MiB) and many lines across chunk boundaries
  const path = join(dir, 'e.jsonl');
  const long = 'x'.repeat(5 << 20);
  const rows = [{ t: long }, ...Array.from({ length: 30000 }, (_, i) => ({ i, pad: 'y'.repeat(i % 300) }))];
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { tail, seen } = collect(path);
  assert.equal(tail.update(), rows.length);
  assert.equal((seen[0].value as { t: string }).t.length, long.length);
  assert.deepEqual(
    seen.slice(1).map((s) => (s.value as { i: number }).i),
    rows.slice(1).map((r) => (r as { i: number }).i),
  );
});

test('updateAsync reads the same lines in chunks, yielding between them; concurrent calls share one read', async () => {
  const path = join(dir, 'f.jsonl');
  const rows = Array.from({ length: 40000 }, (_, i) => ({ i, pad: 'z'.repeat(200) })); // ~9 MB: three chunks
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { tail, seen } = collect(path);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const [a, b] = await Promise.all([tail.updateAsync(), tail.updateAsync()]);
  clearInterval(timer);
  assert.equal(a, rows.length);
  assert.equal(b, rows.length, 'the second call got the first call’s result');
  assert.deepEqual(
    seen.map((s) => (s.value as { i: number }).i),
    rows.map((r) => r.i),
  );
  assert.ok(ticks >= 1, 'the event loop ran between chunks');
  const sync = collect(path);
  sync.tail.update();
  assert.deepEqual(
    sync.seen.map((s) => [s.offset, s.length]),
    seen.map((s) => [s.offset, s.length]),
  );
  appendFileSync(path, '{"i":-1}\n');
  const pending = tail.updateAsync();
  assert.equal(tail.update(), 0, 'a sync update during an async one reads nothing');
  assert.equal(await pending, 1);
  // a finished async read (even one that never yielded) leaves sync updates working
  assert.equal(await tail.updateAsync(), 0);
  appendFileSync(path, '{"i":-2}\n');
  assert.equal(tail.update(), 1);
});
