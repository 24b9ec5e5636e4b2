import type { VerifyOptions, VerifyResult } from '../verify/verify.ts';

/** Inputs a reward may ask for beyond the response text. */
export type Capability = 'logits';

/**
 * Token-level model output for one response, for rewards that declare `needs: ['logits']`.
 * Either the raw logits rows (one row of |V| values per generated token) or the per-token
 * self-certainty already reduced by the engine (cheaper to ship across processes).
 */
export type TokenLogits = { rows: ArrayLike<number>[] } | { selfCertainty: number[] };

/** One prompt's group of G sampled responses: the unit RL computes rewards on. */
export interface RewardGroup {
  prompt: string;
  responses: string[];
  /** Reference answer, when the dataset has one. */
  gold?: string;
  metadata?: Record<string, unknown>;
  /** Keys for response-independent randomness (the `random` reward). */
  step?: number;
  promptId?: string | number;
  /** Generated length of each response in tokens (the `overlong` reward). */
  tokenCounts?: number[];
  /** Per-response token logits; present only when a reward in use needs them. */
  logits?: TokenLogits[];
}

export interface RewardResult {
  score: number;
  info: Record<string, unknown>;
}

/** The verifier rewards call; in-process for tests, a VerifierPool for training. */
export type Verify = (gold: string, pred: string, options?: Partial<VerifyOptions>) => Promise<VerifyResult>;

export interface RewardContext {
  verify: Verify;
}

export interface Reward {
  readonly name: string;
  readonly needs: readonly Capability[];
  /** One result per response, in order. */
  score(group: RewardGroup): Promise<RewardResult[]>;
}
