/**
 * The process-wide cache of ONNX Runtime sessions, bounded by an estimate of the memory they hold.
 *
 * A session is created per distinct graph (one per input shape, since weights are inputs), and a
 * long process (the demo, a server, a sweep) meets many shapes. Each session keeps its optimized
 * graph and kernels, and, when ONNX Runtime's memory arena is on, the arena grown to the largest
 * run's activations (never returned). So sessions are kept in least-recently-used order and the
 * least recently used idle ones are released (`session.release()`, which frees the native memory
 * at once rather than at some later garbage collection) when the estimate exceeds the budget
 * (RLVR_SESSION_CACHE_MB, default 1024) or the count exceeds RLVR_SESSION_CACHE_MAX (default 64).
 * A released graph is recompiled on its next use.
 */
import * as ort from 'onnxruntime-node';

interface Entry {
  session: Promise<ort.InferenceSession>;
  bytes: number;
  /** Runs in flight; a session is never released while running. */
  running: number;
  lastUse: number;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name}=${raw}: expected a positive number`);
  return v;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private clock = 0;
  /** Sessions created (misses, including re-creations after eviction). */
  created = 0;
  /** Sessions released to keep within the budget. */
  evicted = 0;

  constructor(
    readonly budgetBytes: number,
    readonly maxSessions: number,
  ) {}

  static fromEnv(): SessionCache {
    return new SessionCache(envNumber('RLVR_SESSION_CACHE_MB', 1024) * 2 ** 20, Math.floor(envNumber('RLVR_SESSION_CACHE_MAX', 64)));
  }

  /** Estimated bytes held by the cached sessions. */
  get heldBytes(): number {
    let sum = 0;
    for (const e of this.entries.values()) sum += e.bytes;
    return sum;
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * Runs `fn` with the session for `key`, creating it with `create` on a miss (a graph whose
   * session was evicted is compiled again); the session is pinned while `fn` runs.
   */
  async use<T>(key: string, bytes: number, create: () => Promise<ort.InferenceSession>, fn: (s: ort.InferenceSession) => Promise<T>): Promise<T> {
    let entry = this.entries.get(key);
    if (!entry) {
      this.created++;
      entry = { session: create(), bytes, running: 0, lastUse: 0 };
      this.entries.set(key, entry);
      const created = entry;
      created.session.catch(() => {
        if (this.entries.get(key) === created) this.entries.delete(key);
      });
    }
    entry.lastUse = ++this.clock;
    entry.running++;
    try {
      this.evict();
      return await fn(await entry.session);
    } finally {
      entry.running--;
    }
  }

  /** Releases least recently used idle sessions until the cache is within its budget. */
  private evict(): void {
    if (this.heldBytes <= this.budgetBytes && this.entries.size <= this.maxSessions) return;
    const idle = [...this.entries].filter(([, e]) => e.running === 0).sort((a, b) => a[1].lastUse - b[1].lastUse);
    let held = this.heldBytes;
    let count = this.entries.size;
    for (const [key, e] of idle) {
      if (held <= this.budgetBytes && count <= this.maxSessions) break;
      this.entries.delete(key);
      held -= e.bytes;
      count--;
      this.evicted++;
      void e.session.then((s) => s.release()).catch(() => undefined);
    }
  }

  /** Releases every idle session (e.g. between phases of a long job). */
  async clear(): Promise<void> {
    const idle = [...this.entries].filter(([, e]) => e.running === 0);
    for (const [key] of idle) this.entries.delete(key);
    await Promise.all(idle.map(([, e]) => e.session.then((s) => s.release()).catch(() => undefined)));
  }
}
