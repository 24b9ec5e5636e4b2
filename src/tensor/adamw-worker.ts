/** An AdamW helper thread: processes filled ring slots (moments and new parameters) until told to stop. */
import { parentPort, workerData } from 'node:worker_threads';
import { CTRL_STOP, CTRL_WORK, type RingBuffers, RingWorker } from './adamw-kernels.ts';

const ring = new RingWorker(workerData as RingBuffers);
const control = ring.r.control;
parentPort?.postMessage('ready');
for (;;) {
  const seen = Atomics.load(control, CTRL_WORK);
  if (Atomics.load(control, CTRL_STOP) === 1) break;
  while (ring.processOne());
  Atomics.wait(control, CTRL_WORK, seen);
}
