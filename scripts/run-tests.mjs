// Runs the type check and lint, then every tests/**/*.test.ts with node's test runner (Node 20's --test has no globs).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const filter = process.argv.slice(2);
const files = findTests('tests')
  .filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
  .sort();
if (filter.length === 0) {
  for (const [name, args] of [
    ['type check', ['tsc', '--noEmit', '-p', '.']],
    ['lint', ['eslint', 'src', 'tests', 'scripts']],
  ]) {
    console.log(`# ${name}: npx ${args.join(' ')}`);
    const r = spawnSync('npx', args, { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
