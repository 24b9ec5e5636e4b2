import { verifyPair, type VerifyOptions, type VerifyResult } from './verify.ts';

export interface VerifyTask {
  gold: string;
  pred: string;
  options?: Partial<VerifyOptions>;
}

/** Piscina entry point: one pair per task, so that a timeout costs exactly one pair. */
export default function verifyTask(task: VerifyTask | null): VerifyResult | null {
  // A null task only warms the worker up (module loading, JIT) before timed work begins.
  return task === null ? null : verifyPair(task.gold, task.pred, task.options);
}
