export { passAtK, passAtEveryK } from './passk.ts';
export { majorityVote } from './vote.ts';
export type { Equivalent, VoteResult } from './vote.ts';
export { bootstrapMeanCI } from './bootstrap.ts';
export type { BootstrapOptions } from './bootstrap.ts';
export { mentionsPython, hasFencedCodeBlock } from './textstats.ts';
export { computeMetrics, computeBreakdowns, defaultConsKs } from './metrics.ts';
export type { Breakdowns, Estimate, EvalMetrics, MetricsOptions, ScoredItem, ScoredSample } from './metrics.ts';
