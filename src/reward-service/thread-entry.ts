/**
 * Worker-thread entry of `rlvr serve-rewards`: runs the service on a thread whose V8 heap has
 * limits (see thread.ts), says where it listens, and closes gracefully when told to. Loaded
 * through tsx's require hook (as Piscina loads worker.ts), hence no top-level await.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../util/errors.ts';
import { startRewardService, type RewardServiceOptions } from './server.ts';
import type { ThreadMessage } from './thread.ts';

const port = parentPort!;
const say = (m: ThreadMessage) => port.postMessage(m);
startRewardService(workerData as RewardServiceOptions).then(
  (service) => {
    port.once('message', () => void service.close().then(() => port.close()));
    say({ kind: 'listening', url: service.url, threads: service.pool.threads });
  },
  (err: Error) => {
    say({ kind: 'failed', message: err.message, user: err instanceof UserError, stack: err.stack ?? '' });
    port.close();
  },
);
