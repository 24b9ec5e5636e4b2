import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * The execArgv that lets a worker thread load TypeScript through tsx. Resolved with require
 * rather than import.meta.resolve so that it also works in code tsx compiled to CommonJS (a
 * worker's own modules are: on Node 20 tsx installs only its require hook in worker threads).
 */
export function tsxWorkerExecArgv(): string[] {
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}
