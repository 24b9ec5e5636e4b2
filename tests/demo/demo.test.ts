/**
 * `rlvr demo --quick` end to end through the CLI: the outputs and their documented fields, the
 * terminal summary, a rerun that reuses every phase, the report in headless Chromium, bad flags.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { after, test } from 'node:test';
import { chromium } from 'playwright-core';
import { openReport } from '../helpers/report-page.ts';
import type { DemoSummary } from '../../src/demo/summary.ts';
import { ORGANISM_GENERATOR_VERSION } from '../../src/organism/corpus.ts';

const rlvr = new URL('../../bin/rlvr.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rlvr-demo-'));
const out = join(work, 'demo');
const demo = (...args: string[]) => spawnSync(process.execPath, [rlvr, 'demo', ...args], { encoding: 'utf8' });
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

after(() => rmSync(work, { recursive: true, force: true }));

let first: DemoSummary;

test('the quick demo writes every phase, demo.json with the documented fields, and a summary naming the report', () => {
  const r = demo('--quick', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const report = join(out, 'report.html');
  assert.ok(r.stdout.includes(`report: ${report}`), r.stdout);
  assert.ok(r.stdout.split('\n').length <= 24, 'the terminal summary fits one screen');
  const steps = ['[1/8] contamination', '[2/8] spurious', '[3/8] perplexity', '[4/8] contamination (control)', '[5/8] spurious (control)', '[6/8] perplexity (control)', '[7/8] interp', '[8/8] report'];
  for (const step of steps) assert.ok(r.stderr.includes(`demo: ${step}`), `progress line for ${step}`);
  const perSubject = ['contamination/summary.json', 'contamination/items.jsonl', 'spurious/summary.json', 'perplexity/perplexity.json', 'grpo.yaml'];
  const interpFiles = ['interp.json', 'patching.json', 'ablation.json', 'anchors.json', 'logit_lens.json', 'jsd.json', 'steering.json', 'report.html'].map((f) => `interp/${f}`);
  for (const file of [...perSubject, ...perSubject.map((f) => `control/${f}`), ...interpFiles, 'report.html', 'demo.json', 'data/train.jsonl']) assert.ok(existsSync(join(out, file)), file);

  first = readJson<DemoSummary>(join(out, 'demo.json'));
  assert.equal(first.schema, 'rlvr-demo/1');
  assert.deepEqual(Object.keys(first).sort(), ['baseline', 'budget', 'contamination', 'control', 'finished_at', 'interp', 'organism', 'perplexity', 'report', 'schema', 'spurious', 'timing']);
  assert.deepEqual([first.organism.generator_version, first.organism.leak, first.control!.organism.leak], [ORGANISM_GENERATOR_VERSION, true, false]);
  for (const s of [first, first.control!]) {
    assert.deepEqual(s.baseline, { leaked: s.spurious.initial.suspect, clean: s.spurious.initial.clean });
    assert.ok(s.contamination.auroc_rouge_l !== null);
    assert.ok(['every_reward_gains', 'memorization_unlocked', 'spurious_gains_clean', 'signal_matters', 'inconclusive'].includes(s.spurious.verdict_rule));
    for (const v of s.spurious.variants) for (const g of [v.suspect, v.clean]) assert.ok(g.code_share_after >= 0 && g.code_share_after <= 1);
  }
  assert.equal(first.report, report);
  assert.equal(first.budget.name, 'quick');
  const c = first.contamination;
  assert.deepEqual(c.items, { leaked: first.budget.items, clean: first.budget.items });
  for (const key of ['rouge_l', 'exact_match', 'answer_accuracy'] as const) for (const v of Object.values(c[key])) assert.ok(v >= 0 && v <= 1, key);
  assert.ok(c.auroc_rouge_l !== null && c.auroc_rouge_l >= 0 && c.auroc_rouge_l <= 1);
  assert.deepEqual(first.spurious.variants.map((v) => v.variant), ['ground_truth', 'random', 'format', 'contains', 'inverted']);
  for (const v of first.spurious.variants) for (const g of [v.suspect, v.clean]) assert.ok(g.ci[0] <= g.gain && g.gain <= g.ci[1]);
  assert.ok(first.spurious.verdict.length > 0);
  assert.deepEqual(first.perplexity.answer_ppl_median.map((p) => [p.variant, p.step]), [['initial', 0], ...first.spurious.variants.map((v) => [v.variant, first.budget.steps])]);
  assert.deepEqual(first.timing.phases.map((p) => [p.phase, p.subject, p.reused]), [
    ['contamination', 'organism', false], ['spurious', 'organism', false], ['perplexity', 'organism', false],
    ['contamination', 'control', false], ['spurious', 'control', false], ['perplexity', 'control', false], ['interp', 'organism', false], ['report', 'both', false],
  ]);
  assert.ok(first.timing.total_seconds >= first.timing.phases.reduce((s, p) => s + p.seconds, 0) - 1e-6);
  assert.ok(first.timing.peak_rss_mb > 0);

  // the phases' own files agree with demo.json
  const probe = readJson<{ ratios: Array<{ prefix_ratio: number; n: number; auroc: { rouge_l: number } }> }>(join(out, 'contamination', 'summary.json'));
  assert.deepEqual(probe.ratios.map((x) => x.prefix_ratio), first.budget.ratios);
  assert.equal(probe.ratios.find((x) => x.prefix_ratio === c.headline_ratio)!.auroc.rouge_l, c.auroc_rouge_l);
  const ppl = readJson<{ checkpoints: Array<{ variant: string; step: number }> }>(join(out, 'perplexity', 'perplexity.json'));
  const checkpoints = first.budget.steps / first.budget.checkpointEvery;
  assert.equal(ppl.checkpoints.length, 1 + 5 * checkpoints);

  // the interp phase: the spurious variant whose leaked accuracy moved most, its last checkpoint, one row per layer
  const it = first.interp!;
  const spurious = first.spurious.variants.filter((v) => !['ground_truth', 'inverted'].includes(v.variant));
  assert.equal(Math.abs(it.leaked_gain), Math.max(...spurious.map((v) => Math.abs(v.suspect.gain))));
  assert.equal(it.leaked_gain, spurious.find((v) => v.variant === it.variant)!.suspect.gain);
  assert.ok(it.checkpoint.endsWith(join('spurious', 'runs', it.variant, 'checkpoints', `step-${first.budget.steps}`)), it.checkpoint);
  const lines = (f: string) => readFileSync(join(first.organism.dir, f), 'utf8').trim().split('\n').length;
  assert.deepEqual(it.items, { leaked: first.budget.items, clean: first.budget.items, available_leaked: lines('leaked.jsonl'), available_clean: lines('clean.jsonl') });
  assert.deepEqual(it.layers.map((l) => l.layer), [0, 1, 2]);
  assert.deepEqual(it.anchors, it.layers.filter((l) => l.role === 'anchor').map((l) => l.layer));
  for (const l of it.layers) assert.ok(l.necessity !== null && l.attn_reset_gap_removed !== null, `layer ${l.layer}: both resets measured`);
  const stored = readJson<{ numbers: typeof it }>(join(out, 'interp', 'interp.json')).numbers;
  assert.deepEqual(stored.anchors, it.anchors);
  assert.equal(stored.wall_s, it.wall_s);
  assert.ok(it.wall_s > 0 && it.cpu_s > 0 && Object.keys(it.timings).includes('patching'));
});

test('a rerun reuses every finished phase and reports the same numbers', () => {
  const r = demo('--quick', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const again = readJson<DemoSummary>(join(out, 'demo.json'));
  assert.deepEqual(again.timing.phases.map((p) => p.reused), [true, true, true, true, true, true, true, false]);
  assert.deepEqual(again.interp, first.interp);
  for (const key of ['contamination', 'spurious', 'perplexity', 'baseline'] as const) {
    assert.deepEqual(again[key], first[key]);
    assert.deepEqual(again.control![key], first.control![key]);
  }
});

test('--no-interp leaves the phase out of demo.json and the report', () => {
  const r = demo('--quick', '--no-interp', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const again = readJson<DemoSummary>(join(out, 'demo.json'));
  assert.equal(again.interp, undefined);
  assert.ok(!again.timing.phases.some((p) => p.phase === 'interp'));
  assert.ok(!readFileSync(join(out, 'report.html'), 'utf8').includes('Where the change lives'));
  // the report test below reads the full report again
  assert.equal(demo('--quick', '--out', out).status, 0);
});

test('the report renders offline in headless Chromium: every chart drawn, no console errors', async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'], headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const { errors, requests, url } = await openReport(page, first.report);
    // Runs in the page as source text (tsx's helpers do not exist there).
    const charts = (await page.evaluate(`[...document.querySelectorAll('[data-chart]')].map((el) => {
      const chart = echarts.getInstanceByDom(el);
      if (!chart) return null;
      const canvas = el.querySelector('canvas');
      const scale = canvas.width / canvas.getBoundingClientRect().width;
      const rect = chart.getModel().getComponent('grid', 0).coordinateSystem.getRect();
      const img = canvas.getContext('2d').getImageData(rect.x * scale, rect.y * scale, rect.width * scale, rect.height * scale).data;
      let coloured = 0;
      for (let p = 0; p < img.length; p += 4) if (img[p + 3] > 0 && Math.max(img[p], img[p + 1], img[p + 2]) - Math.min(img[p], img[p + 1], img[p + 2]) > 60) coloured++;
      const series = chart.getOption().series;
      const bars = series.filter((s) => s.type === 'bar');
      const flat = bars.length > 0 && bars.every((s) => s.data.every((d) => (d && typeof d === 'object' ? d.value : d) === 0));
      return { title: el.getAttribute('aria-label'), series: series.map((s) => s.data.length), coloured, flat };
    })`)) as Array<{ title: string; series: number[]; coloured: number; flat: boolean } | null>;
    // per model: contamination 3 bars, spurious 2 accuracy lines + gains + 2 code-share lines + 2 training lines, perplexity 3 lines;
    // interp: 1 bar chart unless the checkpoint gives the same log-probs as the base (nothing to draw)
    const interpCharts = first.interp!.layers.some((l) => l.recovery !== null || l.necessity?.value != null) ? 1 : 0;
    assert.equal(charts.length, 26 + interpCharts);
    charts.forEach((chart, i) => {
      assert.ok(chart, `chart ${i} has no ECharts instance`);
      assert.ok(chart.series.length > 0 && chart.series.every((n) => n > 0), `chart ${i} (${chart.title}): a series without points`);
      // A bar chart whose every value is 0 (e.g. no gain anywhere) has nothing to draw.
      if (!chart.flat) assert.ok(chart.coloured >= 20, `chart ${i} (${chart.title}): ${chart.coloured} coloured pixels in the plot area`);
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url], 'the page loads nothing but itself');
  } finally {
    await browser.close();
  }
});

test('bad flags exit 2 with a one-line message', () => {
  for (const args of [['--bogus'], ['--out'], ['extra'], ['--organism', join(work, 'nothing-here')]]) {
    const r = demo(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^rlvr: error: demo: /);
  }
});
