/**
 * One self-contained, offline HTML file per report: the ECharts bundle and the page script are
 * inlined, chart data travels as JSON in a script tag, and every piece of text is escaped.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../util/atomic.ts';
import type { Block, Cell, Chart, Report, StatsBlock, TableBlock, TextBlock } from './model.ts';

const require = createRequire(import.meta.url);

/** The browser files every chart page needs, also served as files by the dashboard (src/dashboard). */
export const CHART_ASSET_FILES = {
  echarts: require.resolve('echarts/dist/echarts.min.js'),
  chartOptions: new URL('./chart-options.js', import.meta.url),
} as const;

interface Assets {
  echarts: string;
  chartOptions: string;
  client: string;
}

let assets: Assets | undefined;

function loadAssets(): Assets {
  if (!assets) {
    const echarts = readFileSync(CHART_ASSET_FILES.echarts, 'utf8');
    const chartOptions = readFileSync(CHART_ASSET_FILES.chartOptions, 'utf8');
    const client = readFileSync(new URL('./client.js', import.meta.url), 'utf8');
    for (const [name, code] of [['echarts.min.js', echarts], ['chart-options.js', chartOptions], ['client.js', client]])
      if (/<\/script/i.test(code)) throw new Error(`${name} contains '</script' and cannot be inlined`);
    assets = { echarts, chartOptions, client };
  }
  return assets;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON that is safe inside a <script> element (no `</script>`, no `<!--`, no JS line separators). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function renderReport(report: Report): string {
  const charts: Chart[] = [];
  const sections = report.sections.map((section, i) => {
    const blocks = section.blocks.map((b) => renderBlock(b, charts)).join('\n');
    return `<section id="s${i + 1}"><h2>${escapeHtml(section.title)}</h2>\n${blocks}\n</section>`;
  });
  charts.forEach(validateChart);
  const toc = report.sections.map((s, i) => `<a href="#s${i + 1}">${escapeHtml(s.title)}</a>`).join('');
  const { echarts, chartOptions, client } = loadAssets();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(report.title)}</h1>${report.subtitle ? `<p class="subtitle">${escapeHtml(report.subtitle)}</p>` : ''}<nav>${toc}</nav></header>
<main>
${sections.join('\n')}
</main>
<script type="application/json" id="rlvr-report-charts">${scriptJson(charts)}</script>
<script>${echarts}</script>
<script>${chartOptions}
${client}</script>
</body>
</html>
`;
}

/** Renders the report and writes it atomically. */
export function writeReport(path: string, report: Report): void {
  writeFileAtomic(path, renderReport(report));
}

function renderBlock(block: Block, charts: Chart[]): string {
  switch (block.kind) {
    case 'text':
      return renderText(block);
    case 'stats':
      return renderStats(block);
    case 'table':
      return renderTable(block);
    case 'line':
    case 'bar':
    case 'scatter':
    case 'heatmap': {
      charts.push(block);
      const caption = block.caption ? `<figcaption>${escapeHtml(block.caption)}</figcaption>` : '';
      return `<figure><div class="chart-title">${escapeHtml(block.title)}</div><div class="chart" data-chart="${charts.length - 1}" role="img" aria-label="${escapeHtml(block.title)}"></div>${caption}</figure>`;
    }
  }
}

function renderText(block: TextBlock): string {
  const paragraphs = block.text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('');
  return block.callout ? `<div class="callout">${paragraphs}</div>` : paragraphs;
}

function renderStats(block: StatsBlock): string {
  const tiles = block.items.map(
    (it) =>
      `<div class="stat"><div class="stat-value">${escapeHtml(it.value)}</div><div class="stat-label">${escapeHtml(it.label)}</div>${it.detail ? `<div class="stat-detail">${escapeHtml(it.detail)}</div>` : ''}</div>`,
  );
  return `<div class="stats">${tiles.join('')}</div>`;
}

function formatCell(cell: Cell, digits: number): { text: string; numeric: boolean } {
  if (cell === null) return { text: '—', numeric: false };
  if (typeof cell === 'string') return { text: cell, numeric: false };
  return { text: Number.isInteger(cell) ? String(cell) : cell.toFixed(digits), numeric: true };
}

function renderTable(block: TableBlock): string {
  const digits = block.digits ?? 3;
  const head = block.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const rows = block.rows.map((row, r) => {
    if (row.length !== block.columns.length) throw new Error(`table '${block.caption ?? block.columns.join(', ')}': row ${r} has ${row.length} cells for ${block.columns.length} columns`);
    return `<tr>${row
      .map((cell) => {
        const { text, numeric } = formatCell(cell, digits);
        return `<td${numeric ? ' class="num"' : ''}>${escapeHtml(text)}</td>`;
      })
      .join('')}</tr>`;
  });
  const caption = block.caption ? `<caption>${escapeHtml(block.caption)}</caption>` : '';
  return `<div class="table-wrap"><table>${caption}<thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function validateChart(chart: Chart): void {
  const bad = (what: string) => new Error(`chart '${chart.title}': ${what}`);
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (chart.kind === 'heatmap' ? chart.cells.length === 0 : chart.series.length === 0) throw bad(chart.kind === 'heatmap' ? 'no cells' : 'no series');
  if (chart.kind === 'bar') {
    for (const s of chart.series) {
      if (s.values.length !== chart.categories.length) throw bad(`series '${s.name}' has ${s.values.length} values for ${chart.categories.length} categories`);
      s.values.forEach((v, i) => {
        if (v.value !== null && !finite(v.value)) throw bad(`series '${s.name}' value ${i} is ${v.value}`);
        if ((v.low !== undefined || v.high !== undefined) && !(finite(v.low) && finite(v.high) && v.low <= v.high))
          throw bad(`series '${s.name}' interval ${i} is [${v.low}, ${v.high}]`);
      });
    }
    return;
  }
  if (chart.kind === 'heatmap') {
    chart.cells.forEach(([x, y, v], i) => {
      if (!Number.isInteger(x) || x < 0 || x >= chart.xCategories.length || !Number.isInteger(y) || y < 0 || y >= chart.yCategories.length) throw bad(`cell ${i} is at (${x}, ${y}) outside ${chart.xCategories.length} × ${chart.yCategories.length}`);
      if (v !== null && !finite(v)) throw bad(`cell ${i} is ${v}`);
    });
    return;
  }
  for (const s of chart.series) {
    s.points.forEach(([x, y], i) => {
      if (!finite(x) || (y !== null && !finite(y))) throw bad(`series '${s.name}' point ${i} is (${x}, ${y})`);
    });
    if (chart.kind === 'line')
      (s as { band?: Array<[number, number, number]> }).band?.forEach(([x, lo, hi], i) => {
        if (!finite(x) || !finite(lo) || !finite(hi) || lo > hi) throw bad(`series '${s.name}' band ${i} is (${x}, [${lo}, ${hi}])`);
      });
  }
  if (chart.kind === 'scatter')
    for (const s of chart.series)
      if (s.labels && s.labels.length !== s.points.length) throw bad(`series '${s.name}' has ${s.labels.length} labels for ${s.points.length} points`);
}

const STYLE = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #dde1e8; --accent: #4477AA; --bg-soft: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--fg); background: #fff; }
header { padding: 28px 40px 12px; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 26px; }
.subtitle { margin: 0 0 10px; color: var(--muted); }
nav a { margin-right: 16px; color: var(--accent); text-decoration: none; font-size: 14px; }
main { max-width: 1100px; padding: 8px 40px 48px; }
section { margin-top: 28px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--accent); padding-bottom: 4px; }
p { max-width: 80ch; }
.callout { border-left: 4px solid #EE6677; background: #fdf3f4; padding: 4px 16px; margin: 12px 0; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.stat { flex: 1 1 160px; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; background: var(--bg-soft); }
.stat-value { font-size: 24px; font-weight: 600; }
.stat-label { color: var(--muted); font-size: 13px; }
.stat-detail { color: var(--muted); font-size: 12px; }
.table-wrap { overflow-x: auto; margin: 12px 0; }
table { border-collapse: collapse; font-size: 14px; }
caption { text-align: left; color: var(--muted); padding-bottom: 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 12px; text-align: left; }
th { background: var(--bg-soft); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 18px 0; }
.chart-title { font-weight: 600; margin-bottom: 4px; }
.chart { width: 100%; height: 360px; }
figcaption { color: var(--muted); font-size: 13px; }
@media print { .chart { break-inside: avoid; } nav { display: none; } }
`;
