import { verifyPair, type VerifyOptions, type VerifyResult } from './verify.ts';

export interface VerifyTask {
  pairs: Array<{ gold: string; pred: string }>;
  options?: Partial<VerifyOptions>;
  /** A pair that ran longer than this is reported as a timeout even if it finished. */
  timeoutMs: number;
}

export type TimedResult = VerifyResult & { ms: number };

/** Piscina entry point: verifies a chunk of pairs, timing each one. A null task only warms up. */
export default function verifyTask(task: VerifyTask | null): TimedResult[] {
  if (task === null) return [];
  return task.pairs.map((p) => {
    const t = performance.now();
    const r = verifyPair(p.gold, p.pred, task.options);
    const ms = performance.now() - t;
    return ms > task.timeoutMs ? { correct: false, extracted: r.extracted, reason: 'timeout', ms } : { ...r, ms };
  });
}
