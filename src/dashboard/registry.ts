/** The runs under the dashboard's root: discovered again at most every `rescanMs`, each run's state kept across scans. */
import { discoverRuns } from './discover.ts';
import { RunState, type RunSummary } from './run-state.ts';

export interface RegistryOptions {
  /** A run without a final file counts as running this long after its last write. */
  activeMs: number;
  rescanMs: number;
}

export class RunRegistry {
  private runs = new Map<string, RunState>();
  private scannedAt = -Infinity;

  constructor(
    readonly root: string,
    private readonly opts: RegistryOptions,
  ) {}

  scan(force = false): void {
    const now = Date.now();
    if (!force && now - this.scannedAt < this.opts.rescanMs) return;
    this.scannedAt = now;
    const next = new Map<string, RunState>();
    for (const entry of discoverRuns(this.root)) {
      const old = this.runs.get(entry.id);
      next.set(
        entry.id,
        old && old.dir === entry.dir && old.parent === entry.parent && old.sameBase(entry.kind)
          ? old
          : new RunState(entry, this.opts.activeMs),
      );
    }
    this.runs = next;
  }

  /** A run by id: only ids found by discovery exist, so no request can name another path. */
  get(id: string): RunState | undefined {
    this.scan();
    let run = this.runs.get(id);
    if (!run) {
      this.scan(true);
      run = this.runs.get(id);
    }
    return run;
  }

  children(id: string): string[] {
    return [...this.runs.values()].filter((r) => r.parent === id).map((r) => r.id);
  }

  /** Summaries of every run; a suite's or demo's last write includes its descendants'. */
  summaries(now = Date.now()): RunSummary[] {
    this.scan();
    const runs = [...this.runs.values()];
    const byId = new Map<string, RunSummary>();
    // deepest first, so that nested runs are summarized before their parents
    for (const run of [...runs].sort((a, b) => depth(b.id) - depth(a.id))) {
      const childWrites = runs
        .filter((r) => r.parent === run.id)
        .map((r) => byId.get(r.id)?.lastWrite ?? null);
      byId.set(run.id, run.summary(now, childWrites));
    }
    return runs.map((r) => byId.get(r.id)!);
  }
}

const depth = (id: string) => (id === '.' ? 0 : id.split('/').length);
