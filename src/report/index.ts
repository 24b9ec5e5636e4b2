export type { BarChart, BarValue, Block, Cell, Chart, HeatmapChart, LineChart, Report, ScatterChart, Section, StatsBlock, TableBlock, TextBlock } from './model.ts';
export { escapeHtml, renderReport, writeReport } from './html.ts';
export { exampleReport } from './example.ts';
