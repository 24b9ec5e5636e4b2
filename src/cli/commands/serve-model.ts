import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { CausalLM } from '../../model/causal-lm.ts';
import { BatchedEmbeddedPolicy } from '../../server/batched-policy.ts';
import { startModelServer } from '../../server/model-server.ts';
import { parseNumber } from './generate.ts';

interface ServeFlags {
  model: string;
  port: string;
  host: string;
  modelName?: string;
  maxBatch: string;
  batchWindowMs: string;
}

export function registerServeModel(program: Command): void {
  program
    .command('serve-model')
    .description(
      'serve a model directory through an OpenAI-compatible HTTP API (/v1/models, /v1/completions, /v1/chat/completions)',
    )
    .requiredOption('--model <dir>', 'Hugging Face model directory')
    .requiredOption('--port <p>', 'TCP port (0 picks a free one)')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--model-name <name>', 'the served model name (default: the directory name)')
    .option(
      '--max-batch <n>',
      'most rows (prompt × sample) per generate call; 1 turns dynamic batching off',
      '32',
    )
    .option('--batch-window-ms <ms>', 'how long an idle engine waits for more requests to batch', '2')
    .action(async (f: ServeFlags) => {
      const port = parseNumber(
        'port',
        f.port,
        (n) => Number.isInteger(n) && n >= 0 && n < 65536,
        'an integer in [0, 65535]',
      );
      const maxBatch = parseNumber(
        'max-batch',
        f.maxBatch,
        (n) => Number.isInteger(n) && n >= 1,
        'a positive integer',
      );
      const windowMs = parseNumber('batch-window-ms', f.batchWindowMs, (n) => n >= 0, 'a number ≥ 0');
      const policy = new BatchedEmbeddedPolicy(CausalLM.load(f.model), { maxBatch, windowMs });
      const modelName = f.modelName ?? basename(resolve(f.model));
      const server = await startModelServer({ policy, modelName, host: f.host, port });
      process.stdout.write(`serving ${modelName} at ${server.url}\n`);
      await new Promise<void>((done) => {
        const stop = (signal: string) => {
          process.stderr.write(`${signal}: finishing requests in flight, then stopping\n`);
          void server.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
