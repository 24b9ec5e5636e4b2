export type { BenchmarkItem } from './types.ts';
export { benchmarkNames, defaultDataDir, iterateDataset, loadDataset, resolveDataset } from './load.ts';
export type { DatasetOptions, FieldMapping, ResolvedDataset } from './load.ts';
export { lastBoxedContent } from './boxed.ts';
export { getTemplate, templateNames, QWEN_BOXED_INSTRUCTION, R1_ZERO_TEMPLATE } from './templates.ts';
export type { PromptTemplate, RenderChat } from './templates.ts';
export { generateRandomCalc, defaultRandomCalcOptions, RANDOMCALC_VERSION, ROUNDING_RULE } from './randomcalc.ts';
export type { RandomCalcItem, RandomCalcOptions } from './randomcalc.ts';
