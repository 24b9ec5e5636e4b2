import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { after, before, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { exampleReport, writeReport } from '../../src/report/index.ts';
import { openReport } from '../helpers/report-page.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// client.js's palette, in order: every series must leave pixels of its colour inside the plot area
const PALETTE = ['#4477AA', '#EE6677', '#228833', '#CCBB44', '#66CCEE', '#AA3377', '#BBBBBB'];

interface DrawnChart {
  series: Array<{ type: string; name: string; points: number }>;
  /** Pixels of each palette colour inside the chart's plot area (legend and axes excluded). */
  pixels: number[];
}

// Runs in the page, passed as source text: tsx's transpiled functions reference a `__name` helper the page lacks.
const CHART_MARKS = `(palette) => {
  const colors = palette.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
  return [...document.querySelectorAll('[data-chart]')].map((el) => {
    const chart = echarts.getInstanceByDom(el);
    if (!chart) return null;
    const canvas = el.querySelector('canvas');
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    const rect = chart.getModel().getComponent('grid', 0).coordinateSystem.getRect();
    const img = canvas.getContext('2d').getImageData(rect.x * scale, rect.y * scale, rect.width * scale, rect.height * scale).data;
    const pixels = colors.map(() => 0);
    for (let p = 0; p < img.length; p += 4)
      colors.forEach(([r, g, b], c) => {
        if (Math.abs(img[p] - r) + Math.abs(img[p + 1] - g) + Math.abs(img[p + 2] - b) < 30) pixels[c]++;
      });
    return { series: chart.getOption().series.map((s) => ({ type: s.type, name: s.name, points: s.data.length })), pixels };
  });
}`;

let dir: string;
let context: BrowserContext;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (Debian: apt-get install -y chromium)`);
  dir = mkdtempSync(join(tmpdir(), 'rlvr-report-'));
  context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1200, height: 900 } });
});

after(async () => {
  await context?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the example report renders offline: every series has drawn marks, no console errors, no network requests', async () => {
  const file = join(dir, 'report.html');
  const report = exampleReport(0);
  writeReport(file, report);
  const page = await context.newPage();
  const { errors, requests, url } = await openReport(page, file);

  const charts = (await page.evaluate(`(${CHART_MARKS})(${JSON.stringify(PALETTE)})`)) as Array<DrawnChart | null>;

  const specs = report.sections.flatMap((s) => s.blocks).filter((b) => b.kind === 'line' || b.kind === 'bar' || b.kind === 'scatter');
  assert.equal(charts.length, specs.length);
  specs.forEach((spec, i) => {
    const drawn = charts[i];
    assert.ok(drawn, `chart '${spec.title}' has no ECharts instance`);
    const marks = drawn.series.filter((s) => s.type === spec.kind);
    assert.deepEqual(
      marks.map((s) => [s.name, s.points]),
      spec.series.map((s) => [s.name, 'values' in s ? s.values.length : s.points.length]),
      `chart '${spec.title}' series`,
    );
    spec.series.forEach((s, k) => assert.ok(drawn.pixels[k] >= 20, `chart '${spec.title}' series '${s.name}': ${drawn.pixels[k]} pixels of its colour in the plot area`));
    if (spec.kind === 'bar') {
      const withCi = spec.series.flatMap((s) => s.values).filter((v) => v.low !== undefined).length;
      assert.equal(drawn.series.filter((s) => s.type === 'custom').reduce((n, s) => n + s.points, 0), withCi, 'one error bar per interval');
    }
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [url], 'the page loads nothing but itself');
  // escaped text stays text; the injected script never ran
  assert.equal(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected), undefined);
  assert.equal(await page.locator('h1').textContent(), report.title);
  assert.equal(await page.locator('.callout p').textContent(), 'Verdict: </script><script>window.__injected = true</script>');
  assert.equal(await page.locator('tbody tr').first().locator('td').last().textContent(), '<planted>');
  if (process.env.RLVR_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.RLVR_REPORT_SCREENSHOT, fullPage: true });
  await page.close();
});
