import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { prepareItems } from '../../src/interp/items.ts';
import { runLens } from '../../src/interp/lens.ts';
import { runPatching } from '../../src/interp/patching.ts';
import { runSteering } from '../../src/interp/steering.ts';
import { jsdSection, lensSection, patchingSection, steeringSection } from '../../src/interp/views.ts';
import { writeReport } from '../../src/report/index.ts';
import { openReport } from '../helpers/report-page.ts';
import { plantedPair } from './planted.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let dir: string;
let context: BrowserContext;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (Debian: apt-get install -y chromium)`);
  dir = mkdtempSync(join(tmpdir(), 'rlvr-interp-report-'));
  context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1200, height: 900 } });
});

after(async () => {
  await context?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the interp report views render offline: heatmaps with a visual map, curves with their bands, no console errors', async () => {
  const { base, planted, rows } = plantedPair();
  const items = prepareItems(planted, rows, '{problem}');
  const lens = await runLens([{ name: 'base', lm: base }, { name: 'planted', lm: planted }], items, () => {}, { quiet: true, resamples: 50 });
  const patch = await runPatching(base, planted, items, { nullDraws: 3, quiet: true, resamples: 50 });
  const steer = await runSteering(planted, items, { factors: [0, 2], nullSets: 3, k: 12, score: 'dla', quiet: true, resamples: 50 });
  const sections = [lensSection(lens), jsdSection(lens), patchingSection(patch), steeringSection(steer)];
  const file = join(dir, 'interp.html');
  writeReport(file, { title: 'interp', sections });
  const page = await context.newPage();
  const { errors, requests, url } = await openReport(page, file);
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [url]);
  const charts = sections.flatMap((s) => s.blocks).filter((b) => b.kind === 'line' || b.kind === 'heatmap');
  const drawn = (await page.evaluate(`[...document.querySelectorAll('[data-chart]')].map((el) => {
    const o = echarts.getInstanceByDom(el).getOption();
    return { types: o.series.map((s) => s.type), points: o.series.map((s) => s.data.length), visualMap: (o.visualMap || []).length };
  })`)) as Array<{ types: string[]; points: number[]; visualMap: number }>;
  assert.equal(drawn.length, charts.length);
  charts.forEach((spec, i) => {
    if (spec.kind === 'heatmap') {
      assert.deepEqual(drawn[i].types, ['heatmap'], spec.title);
      assert.equal(drawn[i].visualMap, 1);
      assert.equal(drawn[i].points[0], spec.cells.filter((c) => c[2] !== null).length);
    } else if (spec.kind === 'line') {
      const bands = spec.series.filter((s) => s.band && s.band.length > 0).length;
      // each band is two stacked helper lines next to its series' own line
      assert.equal(drawn[i].types.length, spec.series.length + 2 * bands, spec.title);
    }
  });
  await page.close();
});
