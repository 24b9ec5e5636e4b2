/**
 * `rlvr bench dashboard [--steps 10000] [--samples 200000] [--group-size 4] [--repeats 5] [--keep DIR]`
 *
 * Writes a large GRPO run (metrics.jsonl with `--steps` lines; samples.jsonl with `--samples`
 * completions in groups of `--group-size`) and a 100-step reference run, starts `rlvr dashboard`
 * in a child process, and drives headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core, a dev dependency) to measure: runs-list and run-page load times (navigation
 * to the page's ready flag, the first samples page included), samples pages deep in the log,
 * text search, the server's RSS, and the time from appending a metrics + samples line to its
 * appearance on the open page. Cold = first load after the server started; warm = median of
 * repeats. Prints one JSON object.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../runs/run-dir.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { benchMedian } from '../bench/timing.ts';
import { appendSyntheticStep, writeSyntheticRun } from './synthetic-run.ts';

const CHROMIUM = '/usr/bin/chromium';

interface Args {
  steps: number;
  samples: number;
  groupSize: number;
  repeats: number;
  keep: string | null;
}

function parseArgs(args: string[]): Args {
  const out: Args = { steps: 10_000, samples: 200_000, groupSize: 4, repeats: 5, keep: null };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[++i];
    if (value === undefined) throw new UserError(`bench dashboard: ${flag} needs a value`);
    if (flag === '--keep') {
      out.keep = value;
      continue;
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`bench dashboard: ${flag} must be a positive integer, got '${value}'`);
    if (flag === '--steps') out.steps = n;
    else if (flag === '--samples') out.samples = n;
    else if (flag === '--group-size') out.groupSize = n;
    else if (flag === '--repeats') out.repeats = n;
    else
      throw new UserError(
        `bench dashboard: unknown flag ${flag} (--steps, --samples, --group-size, --repeats, --keep)`,
      );
  }
  if (out.samples % (out.steps * out.groupSize) !== 0)
    throw new UserError(
      `bench dashboard: --samples must be a multiple of --steps × --group-size (${out.steps * out.groupSize})`,
    );
  return out;
}

const round = (x: number) => Math.round(x * 10) / 10;

function rssMb(pid: number): { rss_mb: number; peak_rss_mb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss_mb: round(kb('VmRSS') / 1024), peak_rss_mb: round(kb('VmHWM') / 1024) };
}

async function startServer(root: string): Promise<{ child: ChildProcess; url: string }> {
  const bin = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'dashboard', '--dir', root, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = / at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) =>
      reject(new Error(`rlvr dashboard exited with ${code} before printing its URL`)),
    );
  });
  return { child, url };
}

export async function runBench(argv: string[]): Promise<unknown> {
  const args = parseArgs(argv);
  if (!existsSync(CHROMIUM))
    throw new UserError(`bench dashboard needs ${CHROMIUM} (Debian: apt-get install -y chromium)`);
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    throw new UserError('bench dashboard needs the dev dependency playwright-core (npm ci)');
  }
  const root = args.keep ?? mkdtempSync(join(tmpdir(), 'rlvr-bench-dashboard-'));
  const big = join(root, 'large');
  const groupsPerStep = args.samples / (args.steps * args.groupSize);
  const opts = {
    steps: args.steps + 1000,
    written: args.steps,
    groupsPerStep,
    groupSize: args.groupSize,
    seed: 1,
    bulk: true,
  };
  const t0 = performance.now();
  if (!existsSync(join(big, 'metrics.jsonl'))) {
    writeSyntheticRun(big, opts);
    writeSyntheticRun(join(root, 'reference-100'), {
      steps: 100,
      groupsPerStep,
      groupSize: args.groupSize,
      bulk: true,
    });
  }
  const fixture = {
    dir: root,
    steps: args.steps,
    sample_lines: args.steps * groupsPerStep,
    samples: args.samples,
    metrics_mb: round(statSync(join(big, 'metrics.jsonl')).size / 2 ** 20),
    samples_mb: round(statSync(join(big, 'samples.jsonl')).size / 2 ** 20),
    write_s: round((performance.now() - t0) / 1000),
  };
  const loadStart = loadavg().map(round);
  const bar = progress('bench dashboard', 6);
  const { child, url } = await startServer(root);
  const base = url.replace(/\/$/, '');
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const ready = () =>
      page.waitForFunction(
        () => (window as unknown as { __dashboard?: { ready: boolean } }).__dashboard?.ready === true,
        undefined,
        { timeout: 120_000 },
      );
    const samplesShown = () =>
      page.waitForFunction(
        () =>
          ((window as unknown as { __dashboard: { samplesShown: string[] } }).__dashboard.samplesShown
            .length ?? 0) > 0,
        undefined,
        { timeout: 120_000 },
      );
    const timed = async (fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const load = (path: string, wait: () => Promise<unknown>) =>
      timed(async () => {
        await page.goto(base + path);
        await wait();
      });
    const runPath = (id: string) => `/run?id=${encodeURIComponent(id)}`;

    // cold: the first load after the server started (discovery, metrics read, samples index built)
    const listCold = await load('/', ready);
    bar.tick(1);
    const runCold = await load(runPath('large'), async () => {
      await ready();
      await samplesShown();
    });
    bar.tick(1);
    const listWarm: number[] = [];
    const runWarm: number[] = [];
    const refWarm: number[] = [];
    const draw: number[] = [];
    const refDraw: number[] = [];
    // the page's own marks: curves-drawn − metrics-loaded is the drawing time of all curves
    // (source text: tsx's transpiled helpers do not exist in the page)
    const drawMs = async () =>
      (await page.evaluate(
        `performance.getEntriesByName('rlvr:curves-drawn')[0].startTime - performance.getEntriesByName('rlvr:metrics-loaded')[0].startTime`,
      )) as number;
    for (let i = 0; i < args.repeats; i++) {
      listWarm.push(await load('/', ready));
      runWarm.push(await load(runPath('large'), async () => (await ready(), await samplesShown())));
      draw.push(await drawMs());
      refWarm.push(await load(runPath('reference-100'), async () => (await ready(), await samplesShown())));
      refDraw.push(await drawMs());
    }
    const metricsApi: number[] = [];
    for (let i = 0; i < args.repeats; i++) {
      const t = performance.now();
      await (await fetch(`${base}/api/metrics?id=large&from=0`)).json();
      metricsApi.push(performance.now() - t);
    }
    bar.tick(1);

    // samples pages through the UI (next page) and through the API deep in the log
    await load(runPath('large'), async () => (await ready(), await samplesShown()));
    const nextPage: number[] = [];
    for (let i = 0; i < args.repeats; i++) {
      const before = await page.evaluate(
        () => (window as unknown as { __dashboard: { samplesShown: string[] } }).__dashboard.samplesShown[0],
      );
      nextPage.push(
        await timed(async () => {
          await page.click('text=next page →');
          await page.waitForFunction(
            (b) =>
              (window as unknown as { __dashboard: { samplesShown: string[] } }).__dashboard
                .samplesShown[0] !== b,
            before,
          );
        }),
      );
    }
    const api = async (query: Record<string, string>) => {
      const t = performance.now();
      const r = await fetch(
        `${base}/api/samples?${new URLSearchParams({ id: 'large', source: 'rollouts', ...query })}`,
      );
      const body = (await r.json()) as { groups: unknown[]; read: number };
      return { ms: round(performance.now() - t), groups: body.groups.length, lines_read: body.read };
    };
    const lines = args.steps * groupsPerStep;
    const apiPages = {
      newest: await api({}),
      middle: await api({ cursor: String(Math.floor(lines / 2)) }),
      oldest_first: await api({ order: 'asc' }),
      step_range_incorrect: await api({
        step_min: String(Math.floor(args.steps / 2)),
        step_max: String(Math.floor(args.steps / 2) + 10),
        correct: 'incorrect',
      }),
      text_search_rare: await api({ q: 'What is 99 + 99?' }),
      text_search_absent: await api({ q: 'no such text anywhere' }),
    };
    bar.tick(1);

    // append-to-display: one metrics line and its samples lines while the run page is open
    await load(runPath('large'), async () => (await ready(), await samplesShown()));
    const run = RunDir.open(big);
    const rng = new Rng(7);
    const latency: number[] = [];
    // a kept fixture already holds the steps earlier runs of the bench appended
    const rows = await page.evaluate(
      () => (window as unknown as { __dashboard: { metricsRows: number } }).__dashboard.metricsRows,
    );
    for (let i = 0; i < args.repeats; i++) {
      const step = rows + 1 + i;
      const t = performance.now();
      appendSyntheticStep(run, step, opts, rng);
      await page.waitForFunction(
        (s) => {
          const d = (window as unknown as { __dashboard: { metricsRows: number; samplesShown: string[] } })
            .__dashboard;
          return d.metricsRows === s && d.samplesShown[0]?.endsWith(`@${s}`);
        },
        step,
        { timeout: 30_000, polling: 20 },
      );
      latency.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 300 + 200 * i)); // land at different points of the poll cycle
    }
    bar.tick(1);
    const memory = rssMb(child.pid!);
    bar.tick(1);
    bar.stop();
    const ms = (xs: number[]) => ({ median: round(benchMedian(xs)), max: round(Math.max(...xs)) });
    return {
      suite: 'dashboard',
      fixture,
      runs_list_load_ms: { cold: round(listCold), warm: ms(listWarm) },
      run_page_load_ms: {
        cold: round(runCold),
        warm: ms(runWarm),
        reference_100_steps_warm: ms(refWarm),
        large_over_reference: round(benchMedian(runWarm) / benchMedian(refWarm)),
      },
      curves_draw_ms: { large: ms(draw), reference_100_steps: ms(refDraw) },
      metrics_api_all_rows_ms: ms(metricsApi),
      samples_next_page_ms: ms(nextPage),
      samples_api: apiPages,
      append_to_display_ms: { ...ms(latency), all: latency.map(round), poll_interval_ms: 500 },
      server: memory,
      console_errors: errors,
      machine: {
        cores: cpus().length,
        load_average_start: loadStart,
        load_average_end: loadavg().map(round),
      },
      notes:
        'load = navigation to the page ready flag (run page: curves drawn and the first samples page shown); cold = first load after server start (reads metrics.jsonl and indexes samples.jsonl); warm = median of repeats; the run page polls every 0.5 s',
    };
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    if (!args.keep) rmSync(root, { recursive: true, force: true });
  }
}
