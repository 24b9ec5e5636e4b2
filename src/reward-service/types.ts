/** One response to score: the unit the reward service queues, times and retries. */
export interface ScoreItem {
  prompt: string;
  response: string;
  /** Reference answer; absent when the caller has none. */
  gold?: string;
  metadata?: Record<string, unknown>;
  /** Keys of the `random` reward's response-independent draw. */
  step?: number;
  promptId?: string | number;
}

/** The answer for one item; every item carries every key, whatever happened to it. */
export interface ItemResult {
  /** Weighted sum of the components, or the fallback score after a timeout or error. */
  score: number;
  /** Each reward's unweighted score (0 after a timeout or error). */
  components: Record<string, number>;
  /** The response's answer verified equal to the reference (false without one). */
  correct: boolean;
  /** The answer found in the response ("" when none). */
  extracted: string;
  /** The verifier's reason, or why the item got the fallback score. */
  reason: string;
  /** Scoring ran past the per-item time limit; `score` is the fallback. */
  timeout: boolean;
  /** Why scoring failed ("" when it did not); `score` is the fallback. */
  error: string;
}

/** What a worker is started with: the validated reward composition. */
export interface WorkerSetup {
  rewards: Array<{ name: string; weight: number; config: Record<string, unknown> }>;
  /** Extraction preset of the `correct` diagnostic when no accuracy reward is configured. */
  extractors: string;
}

export interface WorkerTask {
  items: ScoreItem[];
  /** Int32 slot the worker sets to the index of the item it is on, for the watchdog. */
  progress: SharedArrayBuffer;
  timeoutMs: number;
}

/** A worker's result for one item: an ItemResult, or an item that ran past the limit. */
export type WorkerResult = ItemResult & { ms: number };
