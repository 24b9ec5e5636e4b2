export type { BenchmarkItem } from './types.ts';
export { benchmarkNames, defaultDataDir, iterateDataset, loadDataset, resolveDataset } from './load.ts';
export type { DatasetOptions, FieldMapping, ResolvedDataset } from './load.ts';
export { lastBoxedContent } from './boxed.ts';
