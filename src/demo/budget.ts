/**
 * The demo's budgets. `standard` is sized to finish in ≤ 10 minutes on 2 shared cores (measured
 * in docs/parts/demo.md); `quick` is the smallest run that still exercises every part (tests).
 */
export interface DemoBudget {
  name: 'standard' | 'quick';
  /** Items of each organism benchmark (leaked, clean) probed, evaluated and scored. */
  items: number;
  ratios: number[];
  /** GRPO steps per reward variant; checkpoints every `checkpointEvery` steps (and the last). */
  steps: number;
  checkpointEvery: number;
  /** Prompts per GRPO step and rollouts per prompt. */
  batchSize: number;
  groupSize: number;
  /** Fresh training problems written for the suite. */
  trainItems: number;
}

export const BUDGETS: Record<DemoBudget['name'], DemoBudget> = {
  standard: { name: 'standard', items: 60, ratios: [0.4, 0.6, 0.8], steps: 16, checkpointEvery: 8, batchSize: 8, groupSize: 8, trainItems: 256 },
  quick: { name: 'quick', items: 6, ratios: [0.6], steps: 2, checkpointEvery: 2, batchSize: 2, groupSize: 2, trainItems: 16 },
};
