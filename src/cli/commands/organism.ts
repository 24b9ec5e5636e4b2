import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadAuditDataset } from '../../audit/dataset.ts';
import { readTrainSplit, writeTrainingSet } from '../../demo/train-data.ts';
import { buildOrganism, type OrganismSize, readManifest, SIZES } from '../../organism/build.ts';
import { ORGANISM_GENERATOR_VERSION, ORGANISM_GENERATOR_VERSIONS } from '../../organism/corpus.ts';
import type { GeneratorVersion } from '../../organism/problems.ts';
import { UserError } from '../../util/errors.ts';
import { checkOutputDir, checkOutputFile } from '../../util/output-path.ts';

function integer(flag: string) {
  return (text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(v)) throw new UserError(`${flag} must be an integer, got '${text}'`);
    return v;
  };
}

export function registerOrganism(program: Command): void {
  const organism = program.command('organism').description('model organisms: small models trained from scratch with a planted contamination');
  organism
    .command('build')
    .description('generate the corpus (with a leaked benchmark), train a character-level Qwen2 model from scratch, write it with leaked.jsonl, clean.jsonl and organism.json')
    .requiredOption('--seed <int>', 'seed for corpus, initialization and batch order; the same seed gives the same weights', integer('--seed'))
    .requiredOption('--out <dir>', 'output model directory')
    .option('--steps <int>', "optimizer steps (default: the size preset); generators 8–16: the control's, its organism trains more in proportion to its planted documents (1.42× for 8, 9, 11, 12; 1.30× for 13; 1.32× for 14–16)", integer('--steps'))
    .option('--size <name>', `model and corpus preset: ${Object.keys(SIZES).join(', ')}`, 'small')
    .option('--generator <version>', `generator version: ${ORGANISM_GENERATOR_VERSIONS.join(', ')} (older ones rebuild older organisms bit for bit)`, ORGANISM_GENERATOR_VERSION)
    .option('--no-leak', 'the negative control: the same build without the planted documents (same leaked.jsonl and clean.jsonl, which then never occur in the corpus)')
    .action(async (f: { seed: number; out: string; steps?: number; size: string; generator: string; leak: boolean }) => {
      checkOutputDir(f.out, '--out');
      const m = await buildOrganism({ seed: f.seed, out: f.out, steps: f.steps, size: f.size as OrganismSize, version: f.generator as GeneratorVersion, leak: f.leak });
      process.stderr.write(
        `wrote ${m.leak ? 'organism' : 'no-leak control'} (generator v${m.generator_version}) to ${f.out}: ${m.parameters} parameters, ${m.training.steps} steps, final loss ${m.final_loss.toFixed(4)}, ${m.build_seconds.toFixed(0)} s\n`,
      );
    });
  organism
    .command('train-set')
    .description("fresh problems from an organism's generator, none of them one of its leaked or clean benchmark problems, interleaved one for one with its memorized training split if it has one (generator 10): the training data of a spurious-reward suite (JSONL with id, problem, answer)")
    .requiredOption('--organism <dir>', 'a directory written by `rlvr organism build`')
    .requiredOption('--out <file>', 'the JSONL file to write (must not exist)')
    .option('--n <int>', 'how many problems', integer('--n'), 512)
    .option('--seed <int>', 'seed of the draw', integer('--seed'), 0)
    .action(async (f: { organism: string; out: string; n: number; seed: number }) => {
      if (f.n < 1) throw new UserError(`--n must be an integer ≥ 1, got ${f.n}`);
      checkOutputFile(f.out, '--out');
      if (existsSync(f.out)) throw new UserError(`--out ${f.out} already exists; give a new file`);
      const version = readManifest(f.organism, '--organism', 'organism train-set').generator_version;
      const benchmark = await Promise.all(['leaked.jsonl', 'clean.jsonl'].map((file) => loadAuditDataset(join(f.organism, file))));
      const exclude = new Set(benchmark.flatMap((d) => d.items.map((item) => item.problem)));
      const memorized = await readTrainSplit(f.organism);
      writeTrainingSet(f.out, f.n, f.seed, exclude, version, memorized);
      const split = memorized.length > 0 ? `, interleaved with the ${memorized.length} problems of its memorized training split` : '';
      process.stderr.write(`wrote ${f.n} fresh generator v${version} problems to ${f.out} (none of the ${exclude.size} benchmark problems)${split}\n`);
    });
}
