/**
 * The seam between algorithms (rl, eval, audit) and compute (embedded engine, HTTP servers).
 * See ../../docs/ARCHITECTURE.md and ../shared/DESIGN.md §2.
 */

export interface SamplingParams {
  /** Maximum number of generated tokens per completion. */
  maxNewTokens: number;
  /** 0 means greedy. */
  temperature: number;
  /** Nucleus sampling mass in (0, 1]; 1 disables it. */
  topP: number;
  /** 0 disables top-k. */
  topK: number;
  /** Generation stops when any of these strings appears in the generated text (the stop string is kept out of `text`). */
  stop: string[];
  /** Seed for the sampler; the same seed, prompts and params give the same completions. */
  seed: number;
  /** Completions per prompt (the GRPO group size / eval k). */
  n: number;
}

export interface Completion {
  /** Index of the prompt this completion answers, in the request's `prompts` array. */
  promptIndex: number;
  /** 0..n-1 among the completions of the same prompt. */
  sampleIndex: number;
  text: string;
  tokenIds: number[];
  /** Log-probability of each generated token under the unmodified model distribution (before temperature/top-p), or null when the backend cannot report it. */
  logprobs: number[] | null;
  finishReason: 'stop' | 'length';
  /** Number of generated tokens, for backends that report a count but not the ids (HTTP servers; then `tokenIds` is empty). */
  tokenCount?: number;
}

export interface ScoreRequest {
  prompts: string[];
  completions: string[];
  /** Also compute per-token entropies (a full pass over the vocabulary per token; default off). */
  entropies?: boolean;
}

export interface TokenScores {
  promptTokenIds: number[][];
  completionTokenIds: number[][];
  /** Per completion token log-probability. */
  logprobs: number[][];
  /** Per completion token entropy of the model's next-token distribution, when asked for and available. */
  entropies: number[][] | null;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Policy {
  /** Human-readable identity, used in caches and reports (e.g. "embedded:/path/to/model"). */
  readonly id: string;
  generate(prompts: string[], params: SamplingParams): Promise<Completion[]>;
  /**
   * Optional: completions for conversations, rendered by the policy's own chat template (e.g. a
   * server's /v1/chat/completions). `promptIndex` indexes `conversations`.
   */
  generateChat?(conversations: ChatMessage[][], params: SamplingParams): Promise<Completion[]>;
  score(batch: ScoreRequest): Promise<TokenScores>;
}

export const defaultSampling: SamplingParams = {
  maxNewTokens: 256,
  temperature: 1,
  topP: 1,
  topK: 0,
  stop: [],
  seed: 0,
  n: 1,
};
