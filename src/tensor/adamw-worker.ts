/** An AdamW helper thread: processes filled ring slots (moments and update direction) until told to stop. */
import { workerData } from 'node:worker_threads';
import { CTRL_STOP, CTRL_WORK, processOneSlot, type RingBuffers } from './adamw-kernels.ts';

const r = workerData as RingBuffers;
for (;;) {
  const seen = Atomics.load(r.control, CTRL_WORK);
  if (Atomics.load(r.control, CTRL_STOP) === 1) break;
  while (processOneSlot(r));
  Atomics.wait(r.control, CTRL_WORK, seen);
}
