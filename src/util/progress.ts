import cliProgress from 'cli-progress';

export interface Progress {
  /** Advances by `n` units and updates the displayed key/value fields (e.g. reward). */
  tick(n?: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A bar with rate and ETA on a terminal; plain, throttled lines on a pipe or file (CI, logs).
 * Writes to stderr so stdout stays clean for JSON output.
 */
export function progress(label: string, total: number, opts: { intervalMs?: number } = {}): Progress {
  const stream = process.stderr;
  const fieldsText = (fields: Record<string, string | number>): string =>
    Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
      .join(' ');
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted} {fields}`,
        hideCursor: true,
        stream,
      },
      cliProgress.Presets.shades_classic,
    );
    const start = Date.now();
    let done = 0;
    bar.start(total, 0, { rate: '0', fields: '' });
    return {
      tick(n = 1, fields = {}) {
        done += n;
        const rate = done / Math.max(1e-3, (Date.now() - start) / 1000);
        bar.update(done, { rate: formatNumber(rate), fields: fieldsText(fields) });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const interval = opts.intervalMs ?? 5000;
  const start = Date.now();
  let done = 0;
  let lastPrint = 0;
  const print = (fields: Record<string, string | number>) => {
    const secs = (Date.now() - start) / 1000;
    const rate = done / Math.max(1e-3, secs);
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    stream.write(
      `${label}: ${done}/${total} (${((100 * done) / Math.max(1, total)).toFixed(0)}%) ` +
        `${formatNumber(rate)}/s eta ${Number.isFinite(eta) ? eta.toFixed(0) + 's' : '?'} ${fieldsText(fields)}\n`,
    );
  };
  return {
    tick(n = 1, fields = {}) {
      done += n;
      const now = Date.now();
      if (now - lastPrint >= interval || done >= total) {
        lastPrint = now;
        print(fields);
      }
    },
    stop() {},
  };
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
