import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.ts';
import { appendSyntheticStep, type SyntheticRunOptions } from '../../src/dashboard/synthetic-run.ts';
import { RunDir } from '../../src/runs/run-dir.ts';
import { Rng } from '../../src/util/rng.ts';
import { writeAllKinds, writeBrokenRuns } from './fixtures.ts';
import { snapshotTree } from './tree.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let dir: string;
let root: string;
let ids: Record<string, string>;
let broken: Record<string, string>;
let dashboard: Dashboard;
let context: BrowserContext;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (Debian: apt-get install -y chromium)`);
  dir = mkdtempSync(join(tmpdir(), 'rlvr-dashboard-'));
  root = join(dir, 'runs');
  ids = await writeAllKinds(root);
  broken = writeBrokenRuns(root);
  dashboard = await startDashboard({ root, host: '127.0.0.1', port: 0, rescanMs: 0 });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1300, height: 900 },
  });
});

after(async () => {
  await context?.close();
  await dashboard?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Visit {
  page: Page;
  errors: string[];
  failed: string[];
  requests: string[];
}

/** Opens a dashboard path, recording console errors, failed requests and HTTP errors, and waits for the page to be ready. */
async function visit(path: string): Promise<Visit> {
  const page = await context.newPage();
  const v: Visit = { page, errors: [], failed: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') v.errors.push(m.text());
  });
  page.on('pageerror', (e) => v.errors.push(String(e)));
  page.on('request', (r) => v.requests.push(r.url()));
  page.on('requestfailed', (r) => v.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) v.failed.push(`${r.url()}: HTTP ${r.status()}`);
  });
  await page.goto(dashboard.url.replace(/\/$/, '') + path);
  await page.waitForFunction(
    () => (window as unknown as { __dashboard?: { ready: boolean } }).__dashboard?.ready === true,
  );
  return v;
}

const runPath = (id: string) => `/run?id=${encodeURIComponent(id)}`;

/** Per chart: its title and the number of points of each series with data. */
const CHARTS = `() => window.__dashboard.charts.map((c) => {
  const inst = echarts.getInstanceByDom(c.el);
  return { title: c.spec.title, series: inst.getOption().series.filter((s) => s.type !== 'custom').map((s) => ({ name: s.name, n: s.data.length })) };
})`;
type DrawnCharts = Array<{ title: string; series: Array<{ name: string; n: number }> }>;

function assertClean(v: Visit, what: string): void {
  assert.deepEqual(v.errors, [], `${what}: console errors`);
  assert.deepEqual(v.failed, [], `${what}: failed requests`);
  const origin = new URL(dashboard.url).origin;
  const foreign = v.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], `${what}: requests leave the dashboard (offline)`);
}

test('runs list: every run of every kind is listed with kind, status and config; broken runs show their own error', async () => {
  const before = snapshotTree(root);
  const v = await visit('/');
  const rows = await v.page.$$eval('tr[data-run]', (trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute('data-run'),
      kind: tr.querySelector('.kind')?.textContent,
      status: tr.querySelector('.status')?.textContent,
      error: tr.querySelector('.row-error')?.textContent ?? null,
      text: tr.textContent,
    })),
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const expectKind: Record<string, string> = {
    grpo: 'grpo',
    sft: 'sft',
    eval: 'eval',
    evalRunning: 'eval',
    contamination: 'contamination',
    perplexity: 'perplexity',
    suite: 'suite',
    suiteVariant: 'grpo',
    suiteEval: 'eval',
    demo: 'demo',
    demoContamination: 'contamination',
    demoSuite: 'suite',
    demoPerplexity: 'perplexity',
    other: 'other',
  };
  for (const [k, kind] of Object.entries(expectKind))
    assert.equal(byId.get(ids[k])?.kind, kind, `${ids[k]} kind`);
  assert.equal(byId.get(ids.sft)?.status, 'finished', 'sft wrote all 20 of 20 steps');
  assert.equal(byId.get(ids.grpo)?.status, 'running', 'grpo wrote 12 of 40 steps just now');
  assert.match(byId.get(ids.grpo)!.text!, /step 12 of 40/);
  assert.match(byId.get(ids.grpo)!.text!, /accuracy \+ boxed_format×0\.2/);
  assert.equal(byId.get(ids.eval)?.status, 'finished');
  // errors stay with their run
  assert.match(byId.get(broken.badConfig)!.error!, /config\.yaml/);
  assert.match(byId.get(broken.badMetrics)!.error!, /metrics\.jsonl line 2: not valid JSON/);
  assert.match(byId.get(broken.badResults)!.error!, /results\.json/);
  assert.match(byId.get(broken.noConfig)!.error!, /config\.yaml is missing/);
  for (const id of Object.values(ids)) assert.equal(byId.get(id)?.error, null, `${id} has no error`);
  // filter and sort
  await v.page.fill('input[aria-label="filter runs"]', 'sft-done');
  assert.deepEqual(await v.page.$$eval('tr[data-run]', (trs) => trs.map((t) => t.getAttribute('data-run'))), [
    ids.sft,
  ]);
  await v.page.fill('input[aria-label="filter runs"]', '');
  await v.page.selectOption('select[aria-label="kind"]', 'eval');
  const evals = await v.page.$$eval('tr[data-run]', (trs) => trs.map((t) => t.getAttribute('data-run')));
  assert.deepEqual(
    new Set(evals),
    new Set([
      ids.eval,
      ids.evalRunning,
      ids.suiteEval,
      'demo/spurious/eval/initial/suspect',
      broken.badResults,
    ]),
  );
  assertClean(v, 'runs list');
  await v.page.close();
  assert.deepEqual(snapshotTree(root), before, 'the dashboard wrote nothing into the run directories');
});

test('run pages of every kind render with charts, no console errors and no failed requests', async () => {
  const expectCharts: Record<string, RegExp[]> = {
    grpo: [
      /^Reward$/,
      /Accuracy/,
      /Entropy/,
      /Clip fractions/,
      /Response length/,
      /Gradient norm/,
      /Learning rate/,
      /Throughput/,
      /Time split/,
    ],
    sft: [/^Loss$/, /Accuracy/, /Gradient norm/, /Learning rate/],
    eval: [/pass@k and cons@k/, /pass@1 by subject/, /pass@1 by level/],
    contamination: [/ROUGE-L/, /Exact match/, /Answer accuracy/],
    perplexity: [/Answer perplexity/, /Prompt perplexity/, /Full-text perplexity/],
    suite: [/Accuracy gain per variant/, /SUSPECT accuracy/, /CLEAN accuracy/, /Training reward/],
    demoPerplexity: [/Answer perplexity/],
  };
  for (const key of Object.keys(ids)) {
    const v = await visit(runPath(ids[key]));
    const charts = (await v.page.evaluate(`(${CHARTS})()`)) as DrawnCharts;
    for (const re of expectCharts[key] ?? []) {
      const c = charts.find((x) => re.test(x.title));
      assert.ok(c, `${ids[key]}: a chart titled ${re} (have ${charts.map((x) => x.title).join(' | ')})`);
      assert.ok(
        c.series.some((s) => s.n > 0),
        `${ids[key]}: chart ${c.title} has points`,
      );
    }
    assertClean(v, ids[key]);
    await v.page.close();
  }
});

test('the curves hold every logged value; eval bars carry the results.json numbers', async () => {
  const v = await visit(runPath(ids.grpo));
  const charts = (await v.page.evaluate(`(${CHARTS})()`)) as DrawnCharts;
  const reward = charts.find((c) => c.title === 'Reward')!;
  assert.deepEqual(
    reward.series.map((s) => [s.name, s.n]),
    [
      ['reward_mean', 12],
      ['reward/accuracy', 12],
      ['reward/boxed_format', 12],
    ],
  );
  const acc = charts.find((c) => /Accuracy/.test(c.title))!;
  assert.deepEqual(
    acc.series.map((s) => [s.name, s.n]),
    [
      ['accuracy', 12],
      ['val_accuracy', 1],
    ],
    'val_accuracy only on step 10',
  );
  const ys = (await v.page.evaluate(
    `(() => { const c = window.__dashboard.charts.find((c) => c.spec.title === 'Reward'); return echarts.getInstanceByDom(c.el).getOption().series[0].data; })()`,
  )) as Array<[number, number]>;
  const rows = metricsRows(join(root, ids.grpo));
  assert.deepEqual(
    ys,
    rows.map((r) => [r.step, r.reward_mean]),
  );
  await v.page.close();

  const e = await visit(runPath(ids.eval));
  const passk = (await e.page.evaluate(
    `(() => { const c = window.__dashboard.charts.find((c) => /pass@k/.test(c.spec.title)); return c.spec; })()`,
  )) as {
    categories: string[];
    series: Array<{ values: Array<{ value: number; low: number; high: number }> }>;
  };
  const results = JSON.parse(readText(join(root, ids.eval, 'results.json')));
  assert.deepEqual(passk.categories, ['k=1', 'k=2', 'k=3', 'k=4']);
  assert.deepEqual(passk.series[0].values[3], {
    value: results.metrics['pass@k']['4'].value,
    low: results.metrics['pass@k']['4'].ci[0],
    high: results.metrics['pass@k']['4'].ci[1],
  });
  // the samples browser shows each item with its 4 samples and their extracted answers
  await e.page.waitForSelector('article.group');
  const samples = readText(join(root, ids.eval, 'samples.jsonl'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const card = e.page.locator('article.group').first();
  const lastItem = samples[samples.length - 1].id;
  assert.equal(await card.locator('.group-id').textContent(), lastItem);
  const trs = card.locator('table.completions tbody tr');
  assert.equal(await trs.count(), 4);
  const mine = samples.filter((r) => r.id === lastItem);
  for (let k = 0; k < 4; k++) {
    const cells = await trs.nth(k).locator('td').allTextContents();
    assert.equal(cells[0], String(mine[k].sample_index));
    if (mine[k].extracted === null) assert.doesNotMatch(cells[2], /extracted/);
    else assert.match(cells[2], new RegExp(`extracted: ${mine[k].extracted} ·`));
    assert.equal(cells[6], mine[k].response);
  }
  await e.page.close();
});

test('time axis and smoothing: x = cumulative step time in minutes, y = debiased EMA', async () => {
  const v = await visit(runPath('suite/runs/ground_truth'));
  const rows = metricsRows(join(root, 'suite/runs/ground_truth'));
  await v.page.selectOption('select[aria-label="x axis"]', 'time');
  await v.page.evaluate(() => {
    const el = document.querySelector('input[aria-label="smoothing"]') as HTMLInputElement;
    el.value = '0.6';
    el.dispatchEvent(new Event('input'));
  });
  const data = (await v.page.evaluate(
    `(() => { const c = window.__dashboard.charts.find((c) => c.spec.title === 'Reward'); return { x: c.spec.xLabel, data: echarts.getInstanceByDom(c.el).getOption().series[0].data }; })()`,
  )) as { x: string; data: Array<[number, number]> };
  assert.equal(data.x, 'minutes');
  let t = 0;
  let ema = 0;
  const want = rows.map((r, i) => {
    t += r.time_generate_s + r.time_score_s + r.time_update_s;
    ema = 0.6 * ema + 0.4 * r.reward_mean;
    return [t / 60, ema / (1 - 0.6 ** (i + 1))];
  });
  assert.equal(data.data.length, want.length);
  data.data.forEach(([x, y], i) => {
    assert.ok(
      Math.abs(x - want[i][0]) < 1e-9 && Math.abs(y - want[i][1]) < 1e-9,
      `point ${i}: (${x}, ${y}) vs (${want[i]})`,
    );
  });
  assertClean(v, 'time axis');
  await v.page.close();
});

test('a running evaluation shows new samples live; the runs list selects runs to compare', async () => {
  const v = await visit(runPath(ids.evalRunning));
  await v.page.waitForSelector('article.group');
  assert.equal(await v.page.locator('article.group').count(), 5);
  const record = {
    id: 'gsm8k/new',
    sample_index: 0,
    seed: 0,
    prompt: 'Question new',
    gold: '7',
    response: 'It is \\boxed{8}',
    extracted: '8',
    correct: false,
    format_ok: true,
    verify_reason: 'exact values differ: 8 vs 7',
    response_tokens: 6,
    finish_reason: 'stop',
  };
  appendFileSync(
    join(root, ids.evalRunning, 'progress.jsonl'),
    JSON.stringify({ key: JSON.stringify(['gsm8k/new', 0]), value: record }) + '\n',
  );
  await v.page.waitForFunction(() => document.querySelectorAll('article.group').length === 6, undefined, {
    timeout: 10_000,
  });
  assert.equal(await v.page.locator('article.group .group-id').first().textContent(), 'gsm8k/new #0');
  assert.match((await v.page.locator('article.group').first().textContent())!, /extracted: 8/);
  assertClean(v, 'running eval');
  await v.page.close();

  const list = await visit('/');
  const button = list.page.locator('button', { hasText: 'compare selected' });
  assert.ok(await button.isDisabled());
  await list.page.check(`input[aria-label="select ${ids.grpo}"]`);
  await list.page.check(`input[aria-label="select ${ids.sft}"]`);
  assert.ok(await button.isEnabled());
  await button.click();
  await list.page.waitForURL(/\/compare\?/);
  await list.page.waitForFunction(
    () => (window as unknown as { __dashboard?: { ready: boolean } }).__dashboard?.ready === true,
  );
  assert.deepEqual(new URL(list.page.url()).searchParams.getAll('id').sort(), [ids.grpo, ids.sft].sort());
  await list.page.close();
});

test('samples browser: groups with completions, rewards, components, advantages; filters and paging', async () => {
  const v = await visit(runPath(ids.grpo));
  const page = v.page;
  await page.waitForSelector('article.group');
  const lines = readText(join(root, ids.grpo, 'samples.jsonl'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 24);
  // newest first: the first card is the last line
  const first = page.locator('article.group').first();
  const last = lines[lines.length - 1];
  assert.equal(await first.locator('.group-id').textContent(), last.id);
  assert.equal(await first.locator('pre.prompt').textContent(), last.prompt);
  const cells = await first.locator('table.completions tbody tr').first().locator('td').allTextContents();
  const c0 = last.completions[0];
  assert.equal(Number(cells[1]), Number(c0.reward.toFixed(3)));
  assert.equal(cells[2], `accuracy ${c0.components.accuracy}, boxed_format ${c0.components.boxed_format}`);
  assert.equal(cells[3], c0.correct ? '✓' : '✗');
  assert.equal(cells[4], c0.advantage.toFixed(3));
  assert.equal(cells[6], c0.text);
  assert.equal(await page.locator('article.group').count(), 20);
  // next page holds the remaining 4 lines, oldest last
  await page.click('text=next page →');
  await page.waitForFunction(() => document.querySelectorAll('article.group').length === 4);
  assert.equal(await page.locator('article.group .group-id').last().textContent(), lines[0].id);
  // filter: steps 3–4, groups with an incorrect completion
  await page.click('text=← previous page');
  await page.fill('input[aria-label="from step"]', '3');
  await page.fill('input[aria-label="to step"]', '4');
  await page.selectOption('select[aria-label="correct"]', 'incorrect');
  await page.click('button:has-text("apply")');
  const want = lines
    .filter((g) => g.step >= 3 && g.step <= 4 && g.completions.some((c: { correct: boolean }) => !c.correct))
    .map((g) => `${g.id}@${g.step}`)
    .reverse();
  await page.waitForFunction(
    (n) =>
      (window as unknown as { __dashboard: { samplesShown: string[] } }).__dashboard.samplesShown.length ===
        n && document.querySelectorAll('article.group').length === n,
    want.length,
  );
  assert.deepEqual(
    await page.evaluate(
      () => (window as unknown as { __dashboard: { samplesShown: string[] } }).__dashboard.samplesShown,
    ),
    want,
  );
  // text search
  await page.fill('input[aria-label="from step"]', '');
  await page.fill('input[aria-label="to step"]', '');
  await page.selectOption('select[aria-label="correct"]', 'any');
  await page.fill('input[aria-label="search text"]', lines[5].prompt);
  await page.click('button:has-text("apply")');
  const wantText = lines
    .filter((g) => g.prompt.includes(lines[5].prompt))
    .map((g) => `${g.id}@${g.step}`)
    .reverse();
  await page.waitForFunction(
    (w) =>
      JSON.stringify(
        (window as unknown as { __dashboard: { samplesShown: string[] } }).__dashboard.samplesShown,
      ) === w,
    JSON.stringify(wantText),
  );
  assertClean(v, 'samples browser');
  await page.close();
});

test('live: appended metrics and samples lines show without a reload; a torn line waits for its end; a resume rewrite is followed', async () => {
  const v = await visit(runPath(ids.grpo));
  const page = v.page;
  await page.waitForSelector('article.group');
  const state = () =>
    page.evaluate(
      () => (window as unknown as { __dashboard: { metricsRows: number; samplesLines: number } }).__dashboard,
    );
  assert.equal((await state()).metricsRows, 12);
  const run = RunDir.open(join(root, ids.grpo));
  const opts: SyntheticRunOptions = { steps: 40, groupsPerStep: 2, groupSize: 4 };
  const rng = new Rng(99);
  appendSyntheticStep(run, 13, opts, rng);
  await page.waitForFunction(
    () => {
      const d = (
        window as unknown as {
          __dashboard: { metricsRows: number; samplesLines: number; samplesShown: string[] };
        }
      ).__dashboard;
      return d.metricsRows === 13 && d.samplesLines === 26 && d.samplesShown[0].endsWith('@13');
    },
    undefined,
    { timeout: 10_000 },
  );
  const points = (await page.evaluate(
    `(() => { const c = window.__dashboard.charts.find((c) => c.spec.title === 'Reward'); return echarts.getInstanceByDom(c.el).getOption().series[0].data.length; })()`,
  )) as number;
  assert.equal(points, 13, 'the reward curve has the new step');
  assert.match((await page.locator('article.group .badge').first().textContent())!, /step 13/);
  // a torn line: half of step 14's metrics line, then the rest
  const line = JSON.stringify({ step: 14, reward_mean: 0.5 });
  appendFileSync(join(root, ids.grpo, 'metrics.jsonl'), line.slice(0, 10));
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await state()).metricsRows, 13, 'a torn line is not read');
  appendFileSync(join(root, ids.grpo, 'metrics.jsonl'), line.slice(10) + '\n');
  await page.waitForFunction(
    () => (window as unknown as { __dashboard: { metricsRows: number } }).__dashboard.metricsRows === 14,
    undefined,
    { timeout: 10_000 },
  );
  // a resume from the step-10 checkpoint rewrites the logs without the later steps, then goes on
  run.truncateLogsAfter(10);
  appendSyntheticStep(run, 11, opts, rng);
  await page.waitForFunction(
    () => {
      const d = (window as unknown as { __dashboard: { metricsRows: number; samplesShown: string[] } })
        .__dashboard;
      return d.metricsRows === 11 && d.samplesShown[0].endsWith('@11');
    },
    undefined,
    { timeout: 10_000 },
  );
  const steps = (await page.evaluate(
    `(() => { const c = window.__dashboard.charts.find((c) => c.spec.title === 'Reward'); return echarts.getInstanceByDom(c.el).getOption().series[0].data.map((p) => p[0]); })()`,
  )) as number[];
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'the curve was read again from the start');
  assertClean(v, 'live run page');
  await page.close();
});

test('a broken run shows its error on its own page; other pages are unaffected', async () => {
  for (const [id, message] of [
    [broken.badConfig, /config\.yaml/],
    [broken.badMetrics, /metrics\.jsonl line 2: not valid JSON/],
    [broken.badResults, /results\.json/],
    [broken.noConfig, /config\.yaml is missing/],
  ] as const) {
    const v = await visit(runPath(id));
    assert.match((await v.page.locator('.errors').first().textContent())!, message, id);
    assert.deepEqual(v.errors, [], `${id}: console errors`);
    await v.page.close();
  }
  const v = await visit(runPath(broken.badMetrics));
  const charts = (await v.page.evaluate(`(${CHARTS})()`)) as DrawnCharts;
  assert.deepEqual(
    charts.find((c) => c.title === 'Reward')?.series.map((s) => s.n),
    [2],
    'lines 1 and 3 are shown, line 2 (corrupt) and the torn line 4 are not',
  );
  await v.page.close();
  const unknown = await visit(runPath('../../etc'));
  assert.match((await unknown.page.locator('.errors').textContent())!, /no run '\.\.\/\.\.\/etc'/);
  await unknown.page.close();
});

test('compare overlays the curves of the suite variants; a non-training run is reported, not fatal', async () => {
  const v = await visit(
    `/compare?id=${encodeURIComponent('suite/runs/ground_truth')}&id=${encodeURIComponent('suite/runs/random')}`,
  );
  const charts = (await v.page.evaluate(`(${CHARTS})()`)) as DrawnCharts;
  const reward = charts.find((c) => c.title === 'reward_mean')!;
  assert.deepEqual(reward.series, [
    { name: 'suite/runs/ground_truth', n: 8 },
    { name: 'suite/runs/random', n: 8 },
  ]);
  assertClean(v, 'compare');
  await v.page.close();
  const mixed = await visit(`/compare?id=${encodeURIComponent(ids.grpo)}&id=${encodeURIComponent(ids.eval)}`);
  assert.match((await mixed.page.locator('.errors').textContent())!, /not a training run/);
  assert.deepEqual(mixed.errors, []);
  await mixed.page.close();
});

const readText = (path: string) => readFileSync(path, 'utf8');
const metricsRows = (dir: string): Array<Record<string, number>> =>
  readText(join(dir, 'metrics.jsonl'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
