import type { Command } from 'commander';
import { readRewardServiceConfig } from '../../reward-service/config.ts';
import { SERVICE_DEFAULTS } from '../../reward-service/defaults.ts';
import { startServiceThread } from '../../reward-service/thread.ts';
import { parseNumber } from './generate.ts';

interface ServeRewardsFlags {
  config: string;
  host: string;
  port: string;
  token?: string;
  threads?: string;
  timeoutMs: string;
  fallbackScore: string;
  maxBodyMb: string;
  maxItems: string;
  maxQueue: string;
  maxHeldMb?: string;
}

const isPosInt = (n: number) => Number.isInteger(n) && n >= 1;

export function registerServeRewards(program: Command): void {
  program
    .command('serve-rewards')
    .description(
      "serve a config's rewards over HTTP: POST /get_reward (OpenRLHF), POST /score (verl batches), POST /v1/rewards, GET /health, GET /metrics",
    )
    .requiredOption('--config <file>', "YAML with a 'rewards' list (a trainer config works: same names, weights, config)")
    .option('--host <addr>', 'address to bind; anything but loopback needs a token', SERVICE_DEFAULTS.host)
    .option('--port <p>', 'TCP port (0 picks a free one)', '8787')
    .option('--token <t>', 'bearer token required on every route but /health (default $RLVR_REWARD_TOKEN)')
    .option('--threads <n>', 'scoring worker threads (default: all cores)')
    .option('--timeout-ms <ms>', 'wall-clock limit per item; past it the item gets the fallback score and timeout: true', '2000')
    .option('--fallback-score <x>', 'score of an item that timed out or could not be scored', '0')
    .option('--max-body-mb <mb>', 'largest request body (413 beyond)', String(SERVICE_DEFAULTS.maxBodyBytes / 2 ** 20))
    .option('--max-items <n>', 'most items in one request (413 beyond)', String(SERVICE_DEFAULTS.maxItems))
    .option('--max-queue <n>', 'most items pending at once, counting those in bodies still being read (429 + Retry-After beyond)', String(SERVICE_DEFAULTS.maxQueue))
    .option('--max-held-mb <mb>', `most request-body megabytes held at once, being read, parsed or scored (429 + Retry-After beyond; default ${SERVICE_DEFAULTS.maxHeldBytes / 2 ** 20}, at least --max-body-mb)`)
    .action(async (f: ServeRewardsFlags) => {
      const setup = readRewardServiceConfig(f.config);
      const service = await startServiceThread({
        setup,
        host: f.host,
        port: parseNumber('port', f.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'an integer in [0, 65535]'),
        token: f.token ?? process.env.RLVR_REWARD_TOKEN,
        threads: f.threads === undefined ? undefined : parseNumber('threads', f.threads, isPosInt, 'a positive integer'),
        timeoutMs: parseNumber('timeout-ms', f.timeoutMs, isPosInt, 'a positive integer'),
        fallbackScore: parseNumber('fallback-score', f.fallbackScore, Number.isFinite, 'a finite number'),
        maxBodyBytes: Math.round(parseNumber('max-body-mb', f.maxBodyMb, (n) => n > 0, 'a positive number') * 2 ** 20),
        maxItems: parseNumber('max-items', f.maxItems, isPosInt, 'a positive integer'),
        maxQueue: parseNumber('max-queue', f.maxQueue, isPosInt, 'a positive integer'),
        maxHeldBytes: f.maxHeldMb === undefined ? undefined : Math.round(parseNumber('max-held-mb', f.maxHeldMb, (n) => n > 0, 'a positive number') * 2 ** 20),
      });
      const names = setup.rewards.map((r) => `${r.name}×${r.weight}`).join(' + ');
      process.stdout.write(`serving rewards ${names} at ${service.url} (${service.threads} workers)\n`);
      const stop = (signal: string) => {
        process.stderr.write(`${signal}: answering requests in flight, then stopping\n`);
        void service.close();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Resolves after a graceful close; a service thread that dies (out of memory) ends the command with its error.
      await service.ended;
    });
}
