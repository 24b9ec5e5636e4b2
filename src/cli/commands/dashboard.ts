import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isLoopback, startDashboard } from '../../dashboard/server.ts';
import { UserError } from '../../util/errors.ts';
import { parseNumber } from './generate.ts';

interface DashboardFlags {
  dir: string;
  host: string;
  port: string;
  token?: string;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      'a local, read-only web app over the run directories under --dir: runs list, live curves, samples browser, eval/audit views, compare',
    )
    .option('--dir <dir>', 'directory holding run directories (searched recursively)', 'runs')
    .option('--host <addr>', 'address to bind; a non-loopback address needs --token', '127.0.0.1')
    .option('--port <p>', 'TCP port (0 picks a free one)', '8787')
    .option(
      '--token <t>',
      'secret every request must carry (required off loopback); the printed URL includes it',
    )
    .action(async (f: DashboardFlags) => {
      const port = parseNumber(
        'port',
        f.port,
        (n) => Number.isInteger(n) && n >= 0 && n < 65536,
        'an integer in [0, 65535]',
      );
      const root = resolve(f.dir);
      if (!existsSync(root) || !statSync(root).isDirectory())
        throw new UserError(`--dir ${f.dir}: no such directory`);
      if (f.token !== undefined && f.token.length < 8)
        throw new UserError('--token: use at least 8 characters');
      if (!isLoopback(f.host) && f.token === undefined)
        throw new UserError(
          `--host ${f.host} is not a loopback address: the dashboard shows every run's files, so binding it elsewhere needs --token <secret>`,
        );
      let dashboard;
      try {
        dashboard = await startDashboard({ root, host: f.host, port, token: f.token });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
          throw new UserError(`cannot listen on ${f.host}:${port} (${code})`);
        throw err;
      }
      process.stdout.write(
        `dashboard for ${root} at ${dashboard.url}${f.token !== undefined ? `?token=${encodeURIComponent(f.token)}` : ''}\n`,
      );
      await new Promise<void>((done) => {
        const stop = () => void dashboard.close().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
