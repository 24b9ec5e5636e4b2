import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { CausalLM, parseWeightFormat, WEIGHTS_OPTION_HELP } from '../../model/causal-lm.ts';
import { checkBindAccess } from '../../server/access.ts';
import { BatchedEmbeddedPolicy } from '../../server/batched-policy.ts';
import { defaultRequestLimits } from '../../server/limits.ts';
import { startModelServer } from '../../server/model-server.ts';
import { parseNumber } from './generate.ts';

interface ServeFlags {
  model: string;
  weights: string;
  port: string;
  host: string;
  modelName?: string;
  apiKey?: string;
  maxBatch: string;
  batchWindowMs: string;
  maxRows: string;
  maxTotalTokens: string;
  gracePeriod: string;
}

const isPosInt = (n: number) => Number.isInteger(n) && n >= 1;

export function registerServeModel(program: Command): void {
  program
    .command('serve-model')
    .description(
      'serve a model directory through an OpenAI-compatible HTTP API (/v1/models, /v1/completions, /v1/chat/completions)',
    )
    .requiredOption('--model <dir>', 'Hugging Face model directory')
    .option('--weights <format>', WEIGHTS_OPTION_HELP, 'fp32')
    .requiredOption('--port <p>', 'TCP port (0 picks a free one)')
    .option(
      '--host <addr>',
      'address to bind; one that is not loopback (e.g. 0.0.0.0) needs --api-key',
      '127.0.0.1',
    )
    .option('--model-name <name>', 'the served model name (default: the directory name)')
    .option('--api-key <key>', 'require Authorization: Bearer <key> on every request (default $RLVR_API_KEY)')
    .option(
      '--max-batch <n>',
      'most rows (prompt × sample) per generate call; 1 turns dynamic batching off',
      '32',
    )
    .option('--batch-window-ms <ms>', 'how long an idle engine waits for more requests to batch', '2')
    .option(
      '--max-rows <n>',
      'most completions (prompts × n) one request may ask for',
      String(defaultRequestLimits.maxRows),
    )
    .option(
      '--max-total-tokens <n>',
      'most tokens (prompt + max_tokens, summed over completions) one request may ask for',
      String(defaultRequestLimits.maxTotalTokens),
    )
    .option(
      '--grace-period <s>',
      'on SIGINT/SIGTERM, seconds requests in flight may take to finish before they are cancelled (a second signal stops at once)',
      '30',
    )
    .action(async (f: ServeFlags) => {
      const port = parseNumber(
        'port',
        f.port,
        (n) => Number.isInteger(n) && n >= 0 && n < 65536,
        'an integer in [0, 65535]',
      );
      const maxBatch = parseNumber('max-batch', f.maxBatch, isPosInt, 'a positive integer');
      const windowMs = parseNumber('batch-window-ms', f.batchWindowMs, (n) => n >= 0, 'a number ≥ 0');
      const maxRows = parseNumber('max-rows', f.maxRows, isPosInt, 'a positive integer');
      const maxTotalTokens = parseNumber(
        'max-total-tokens',
        f.maxTotalTokens,
        isPosInt,
        'a positive integer',
      );
      const graceMs =
        1000 * parseNumber('grace-period', f.gracePeriod, (n) => n >= 0, 'a number of seconds ≥ 0');
      const apiKey = f.apiKey ?? (process.env.RLVR_API_KEY || undefined);
      checkBindAccess(f.host, apiKey); // before the model is loaded
      const policy = new BatchedEmbeddedPolicy(CausalLM.load(f.model, { weights: parseWeightFormat(f.weights, '--weights') }), { maxBatch, windowMs });
      const modelName = f.modelName ?? basename(resolve(f.model));
      const server = await startModelServer({
        policy,
        modelName,
        host: f.host,
        port,
        apiKey,
        limits: { maxRows, maxTotalTokens },
      });
      process.stdout.write(`serving ${modelName} at ${server.url}${apiKey ? ' (API key required)' : ''}\n`);
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) {
            process.stderr.write(`${signal} again: stopping now\n`);
            process.exit(1);
          }
          stopping = true;
          process.stderr.write(
            `${signal}: finishing requests in flight (${graceMs / 1000} s at most; signal again to stop now), then stopping\n`,
          );
          void server.close(graceMs).then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
