import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { escapeHtml, exampleReport, renderReport, type Report, writeReport } from '../../src/report/index.ts';

const chartData = (html: string): unknown => JSON.parse(/<script type="application\/json" id="rlvr-report-charts">(.*?)<\/script>/s.exec(html)![1]);

test('text is escaped everywhere; chart data round-trips through the JSON script tag', () => {
  const nasty = `</script><!-- "x" & \u2028 'y'`;
  const report: Report = {
    title: nasty,
    sections: [
      {
        title: nasty,
        blocks: [
          { kind: 'text', text: nasty },
          { kind: 'table', columns: [nasty], rows: [[nasty]] },
          { kind: 'line', title: nasty, xLabel: nasty, yLabel: 'y', series: [{ name: nasty, points: [[1, 2], [2, null]] }] },
        ],
      },
    ],
  };
  const html = renderReport(report);
  assert.equal(escapeHtml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  // the only </script> tags are the three closing tags the page itself writes
  assert.equal(html.match(/<\/script/gi)?.length, 3);
  assert.ok(!html.includes('<!-- "x"'));
  assert.ok(html.includes(`<p>${escapeHtml(nasty)}</p>`));
  assert.deepEqual(chartData(html), [report.sections[0].blocks[2]]);
});

test('tables format numbers, nulls and strings', () => {
  const html = renderReport({ title: 't', sections: [{ title: 's', blocks: [{ kind: 'table', columns: ['a', 'b', 'c', 'd'], rows: [[3, 0.123456, null, 'x']], digits: 2 }] }] });
  assert.match(html, /<tr><td class="num">3<\/td><td class="num">0\.12<\/td><td>—<\/td><td>x<\/td><\/tr>/);
});

test('malformed chart data is refused with the chart and series named', () => {
  const bar = (values: Array<{ value: number | null; low?: number; high?: number }>, categories = ['a', 'b']): Report => ({
    title: 't',
    sections: [{ title: 's', blocks: [{ kind: 'bar', title: 'acc', yLabel: 'y', categories, series: [{ name: 'run', values }] }] }],
  });
  assert.throws(() => renderReport(bar([{ value: 1 }])), /chart 'acc': series 'run' has 1 values for 2 categories/);
  assert.throws(() => renderReport(bar([{ value: 1 }, { value: NaN }])), /series 'run' value 1 is NaN/);
  assert.throws(() => renderReport(bar([{ value: 1, low: 2, high: 1 }, { value: 1 }])), /interval 0 is \[2, 1\]/);
  assert.throws(
    () => renderReport({ title: 't', sections: [{ title: 's', blocks: [{ kind: 'scatter', title: 'sc', xLabel: 'x', yLabel: 'y', series: [{ name: 'p', points: [[Infinity, 1]] }] }] }] }),
    /chart 'sc': series 'p' point 0 is \(Infinity, 1\)/,
  );
  assert.throws(() => renderReport({ title: 't', sections: [{ title: 's', blocks: [{ kind: 'table', columns: ['a', 'b'], rows: [[1]] }] }] }), /row 0 has 1 cells for 2 columns/);
});

test('writeReport writes one self-contained file (ECharts inlined, no external references)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-report-'));
  writeReport(join(dir, 'r.html'), exampleReport(1));
  assert.deepEqual(readdirSync(dir), ['r.html']);
  const html = readFileSync(join(dir, 'r.html'), 'utf8');
  assert.ok(html.length > 1_000_000, 'the ECharts bundle is inlined');
  const markup = html.replace(/<script\b[^>]*>.*?<\/script>/gs, '<script></script>');
  assert.equal(markup.match(/<script>/g)?.length, 3, 'three inline scripts (data, ECharts, page script)');
  assert.doesNotMatch(markup, /\b(?:src|href)=(?!["']?#)/i, 'no attribute loads anything');
});
