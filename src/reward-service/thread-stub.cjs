// Entry of the service thread (thread.ts). On Node 20 tsx's --import installs only its require
// hook in a worker thread, so the TypeScript entry is required, as Piscina loads worker.ts.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a require is the point
require('./thread-entry.ts');
