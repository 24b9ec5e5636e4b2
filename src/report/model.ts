/**
 * The data a report is made of. Everything is plain data (no functions, no HTML): the builder
 * escapes all text and the page turns charts into ECharts options in the browser.
 */

export interface Report {
  title: string;
  /** One line under the title (e.g. the run or model). */
  subtitle?: string;
  sections: Section[];
}

export interface Section {
  title: string;
  blocks: Block[];
}

export type Block = TextBlock | StatsBlock | TableBlock | Chart;

/** Paragraphs separated by blank lines; `callout` sets it apart (a verdict, a warning). */
export interface TextBlock {
  kind: 'text';
  text: string;
  callout?: boolean;
}

/** A row of headline numbers. */
export interface StatsBlock {
  kind: 'stats';
  items: Array<{ label: string; value: string; detail?: string }>;
}

export type Cell = string | number | null;

export interface TableBlock {
  kind: 'table';
  caption?: string;
  columns: string[];
  rows: Cell[][];
  /** Decimal places for non-integer numbers (default 3); null cells print as an em dash. */
  digits?: number;
}

export type Chart = LineChart | BarChart | ScatterChart | HeatmapChart;

interface ChartBase {
  title: string;
  /** A sentence under the chart saying how to read it. */
  caption?: string;
  yLabel: string;
}

/** Series of [x, y] points over a numeric x (e.g. training steps); a null y is a gap. */
export interface LineChart extends ChartBase {
  kind: 'line';
  xLabel: string;
  series: Array<{
    name: string;
    points: Array<[number, number | null]>;
    /** A shaded band [x, low, high] in the series' colour (a CI or a null distribution's range). */
    band?: Array<[number, number, number]>;
  }>;
}

/** A value with an optional interval (e.g. a 95% CI) drawn as an error bar. */
export interface BarValue {
  value: number | null;
  low?: number;
  high?: number;
}

/** Grouped bars: one group per category, one bar per series. */
export interface BarChart extends ChartBase {
  kind: 'bar';
  categories: string[];
  series: Array<{ name: string; values: BarValue[] }>;
}

/** Points; `labels` (one per point) show in the tooltip. */
export interface ScatterChart extends ChartBase {
  kind: 'scatter';
  xLabel: string;
  series: Array<{ name: string; points: Array<[number, number]>; labels?: string[] }>;
}

/** A grid of values (e.g. layer × position or layer × component), coloured by value; a null cell is blank. */
export interface HeatmapChart extends ChartBase {
  kind: 'heatmap';
  xLabel: string;
  xCategories: string[];
  yCategories: string[];
  /** [x index, y index, value]. */
  cells: Array<[number, number, number | null]>;
  /** Colour scale centred on 0 (for signed values such as changes), else from the minimum to the maximum. */
  diverging?: boolean;
}
