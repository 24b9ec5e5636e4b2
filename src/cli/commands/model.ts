import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { initModelDir } from '../../model/init.ts';
import type { FloatWriteDtype } from '../../model/safetensors.ts';
import { UserError } from '../../util/errors.ts';
import { checkOutputDir } from '../../util/output-path.ts';

const DTYPES: FloatWriteDtype[] = ['F32', 'BF16', 'F16'];

export function registerModel(program: Command): void {
  program
    .command('init-model')
    .description(
      'write a randomly initialized checkpoint (config.json, safetensors, tokenizer files) for a Qwen2/Llama config',
    )
    .requiredOption('--config <file>', 'Hugging Face config.json (model_type qwen2 or llama)')
    .requiredOption(
      '--tokenizer <file>',
      "tokenizer.json to ship with the model (its tokenizer_config.json and generation_config.json are copied too), or 'char' for the character tokenizer",
    )
    .requiredOption('--out <dir>', 'output model directory')
    .option('--seed <n>', 'random seed', '0')
    .option('--dtype <dtype>', `weight dtype on disk (${DTYPES.join(', ')})`, 'F32')
    .option(
      '--max-shard-size <bytes>',
      'shard the weights into files of at most this many bytes (suffixes KB, MB, GB)',
      '5GB',
    )
    .action(
      (opts: {
        config: string;
        tokenizer: string;
        out: string;
        seed: string;
        dtype: string;
        maxShardSize: string;
      }) => {
        checkOutputDir(opts.out, '--out');
        const seed = Number(opts.seed);
        if (!Number.isSafeInteger(seed) || seed < 0)
          throw new UserError(`--seed must be a non-negative integer, got '${opts.seed}'`);
        const dtype = opts.dtype.toUpperCase() as FloatWriteDtype;
        if (!DTYPES.includes(dtype))
          throw new UserError(`--dtype must be one of ${DTYPES.join(', ')}, got '${opts.dtype}'`);
        let rawConfig: unknown;
        try {
          rawConfig = JSON.parse(readFileSync(opts.config, 'utf8'));
        } catch (err) {
          throw new UserError(`cannot read --config ${opts.config}: ${(err as Error).message}`);
        }
        if (typeof rawConfig !== 'object' || rawConfig === null || Array.isArray(rawConfig))
          throw new UserError(`--config ${opts.config}: not a JSON object`);
        const start = Date.now();
        const config = initModelDir({
          rawConfig: rawConfig as Record<string, unknown>,
          configSource: opts.config,
          tokenizer: opts.tokenizer,
          seed,
          out: opts.out,
          dtype,
          maxShardBytes: parseByteSize(opts.maxShardSize),
        });
        process.stderr.write(
          `wrote ${config.modelType} model (${config.numLayers} layers, hidden ${config.hiddenSize}, vocab ${config.vocabSize}) to ${opts.out} in ${((Date.now() - start) / 1000).toFixed(1)} s\n`,
        );
      },
    );
}

function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text.trim());
  if (!match) throw new UserError(`--max-shard-size must look like 500MB or 2GB, got '${text}'`);
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[
    (match[2] ?? 'B').toUpperCase() as 'B' | 'KB' | 'MB' | 'GB'
  ];
  return Math.floor(Number(match[1]) * unit);
}
