import { verifyPair, type VerifyOptions, type VerifyResult } from './verify.ts';

export interface VerifyTask {
  pairs: Array<{ gold: string; pred: string }>;
  options?: Partial<VerifyOptions>;
  /** A pair that ran longer than this is reported as a timeout even if it finished. */
  timeoutMs: number;
  /**
   * Shared with the pool (a SharedArrayBuffer is not copied): slot 0 holds when the current
   * attempt at a pair started (epoch ms), so that the pool can kill a runaway pair without
   * waiting for the whole chunk's budget.
   */
  clock?: SharedArrayBuffer;
}

export type TimedResult = VerifyResult & { ms: number };

/** Pairs that load what the first real pair would otherwise pay for: the CAS's parser and simplifier, the JIT. */
const WARM_UP: Array<[string, string]> = [
  ['\\cot x', '\\boxed{\\frac{\\cos x}{\\sin x}}'],
  ['\\sum_{k=1}^{10} k', 'The answer is $55$.'],
  ['(x+1)^2', '\\boxed{x^2+2x+1}'],
  ['\\operatorname{arcsinh} 1', '\\boxed{\\ln(1+\\sqrt2)}'],
  ['y \\ge 3', 'so $[3, \\infty)$'],
  ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '\\boxed{(1,2)}'],
];

let warm = false;

function timed(p: { gold: string; pred: string }, task: VerifyTask, clock: Float64Array | null): TimedResult {
  const t = performance.now();
  if (clock) clock[0] = performance.timeOrigin + t;
  const r = verifyPair(p.gold, p.pred, task.options);
  return { ...r, ms: performance.now() - t };
}

/**
 * Piscina entry point: verifies a chunk of pairs, timing each one. A null task warms the worker
 * up. A pair over the time limit is run once more before it is called a timeout, so that a
 * one-off cost (garbage collection, a lazily compiled path) cannot make a verdict depend on the
 * pair's position; the pool's hard budget leaves room for that one retry.
 */
export default function verifyTask(task: VerifyTask | null): TimedResult[] {
  if (!warm) {
    for (const [gold, pred] of WARM_UP) verifyPair(gold, pred);
    warm = true;
  }
  if (task === null) return [];
  const clock = task.clock ? new Float64Array(task.clock) : null;
  const results = task.pairs.map((p) => {
    let r = timed(p, task, clock);
    if (r.ms > task.timeoutMs) r = timed(p, task, clock);
    return r.ms > task.timeoutMs ? { correct: false, extracted: r.extracted, reason: 'timeout', ms: r.ms } : r;
  });
  if (clock) clock[0] = -1; // done: the result may take a while to reach the pool
  return results;
}
