/**
 * A pretraining shard thread (shard-pool.ts): holds a copy of the model and, for each request,
 * takes the current parameters and returns the unweighted gradient of the token-mean NLL of its
 * micro-batch. It never steps an optimizer; the main thread sums and steps.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CausalLM } from '../model/causal-lm.ts';
import { Trainable } from '../model/trainable.ts';
import type { ShardReply, ShardRequest, ShardSetup } from './shard-pool.ts';
import { documentBatch, tokenMeanNll } from './train.ts';

const setup = workerData as ShardSetup;
const lm = CausalLM.load(setup.modelDir);
const trainer = new Trainable(lm, { schedule: { kind: 'constant', lr: 0 }, optimizerHelpers: 0 });
const port = parentPort;
if (!port) throw new Error('shard-worker.ts runs only as a worker thread');

port.on('message', (req: ShardRequest) => {
  void (async (): Promise<ShardReply> => {
    try {
      lm.params.data.set(req.params);
      const { loss } = await trainer.accumulate(documentBatch(req.rows), tokenMeanNll);
      const grad = trainer.takeGradients().slice();
      return { loss, grad };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  })().then((reply) => port.postMessage(reply, 'grad' in reply ? [reply.grad.buffer as ArrayBuffer] : []));
});
