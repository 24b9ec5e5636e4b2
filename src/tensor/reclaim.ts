/**
 * onnxruntime-node (1.30) hands back every output of a run as a new JavaScript buffer — a copy even
 * for outputs written into caller-owned arrays — and that native memory goes back only when V8
 * collects the copies, which it may not do for several runs: after a 0.5B model's forward + backward
 * the gradients' copy (1.8 GiB) stayed resident into the next step (docs/parts/performance.md).
 * A run that wrote at least `RECLAIM_BYTES` into caller-owned arrays therefore ends with a garbage
 * collection; the copies' native memory is released by their finalizers right after.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const RECLAIM_BYTES = 64 * 2 ** 20;

let collect: (() => void) | null = null;

/** A full garbage collection (V8's `gc`, exposed on first use as `--expose-gc` would). */
export function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
