import { Command, CommanderError } from 'commander';
import { UserError } from '../util/errors.ts';
import { commandModules } from './commands/index.ts';

const program = new Command();
program
  .name('rlvr')
  .description('RLVR Lab: train, evaluate, audit and look inside language models trained with verifiable rewards')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const register of commandModules) register(program);

// `npx rlvr -- --help` and `npm run rlvr -- ...` can leave the separator in front of the arguments.
const argv = process.argv[2] === '--' ? [...process.argv.slice(0, 2), ...process.argv.slice(3)] : process.argv;

try {
  await program.parseAsync(argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof UserError) {
    process.stderr.write(`rlvr: error: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
