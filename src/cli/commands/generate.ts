import type { Command } from 'commander';
import { EmbeddedPolicy } from '../../backends/embedded.ts';
import { parseWeightFormat, WEIGHTS_OPTION_HELP } from '../../model/causal-lm.ts';
import { defaultSampling } from '../../backends/policy.ts';
import { readJsonl } from '../../data/jsonl.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { UserError } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { checkOutputFile } from '../../util/output-path.ts';

export function parseNumber(flag: string, value: string, check: (n: number) => boolean, want: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UserError(`--${flag} must be ${want}, got '${value}'`);
  return n;
}

const isNonNegInt = (n: number) => Number.isInteger(n) && n >= 0;
const isPosInt = (n: number) => Number.isInteger(n) && n >= 1;

interface GenerateFlags {
  model: string;
  weights: string;
  prompt: string;
  maxNewTokens: string;
  temperature: string;
  topP: string;
  topK: string;
  seed: string;
  stop?: string[];
  json?: boolean;
}

interface ScoreFlags {
  model: string;
  input: string;
  output?: string;
  batch: string;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('sample a completion from a model directory with the embedded engine')
    .requiredOption('--model <dir>', 'Hugging Face model directory (config.json, safetensors, tokenizer.json)')
    .option('--weights <format>', WEIGHTS_OPTION_HELP, 'fp32')
    .requiredOption('--prompt <text>', 'prompt text (tokenized as is)')
    .option('--max-new-tokens <n>', 'tokens to generate at most', '128')
    .option('--temperature <t>', '0 = greedy', '1')
    .option('--top-p <p>', 'nucleus mass in (0, 1]', '1')
    .option('--top-k <k>', '0 = off', '0')
    .option('--seed <s>', 'sampler seed', '0')
    .option('--stop <text...>', 'stop strings')
    .option('--json', 'print {"text","token_ids","logprobs","finish_reason"}')
    .action(async (f: GenerateFlags) => {
      const params = {
        ...defaultSampling,
        maxNewTokens: parseNumber('max-new-tokens', f.maxNewTokens, isPosInt, 'a positive integer'),
        temperature: parseNumber('temperature', f.temperature, (n) => n >= 0, 'a number ≥ 0'),
        topP: parseNumber('top-p', f.topP, (n) => n > 0 && n <= 1, 'in (0, 1]'),
        topK: parseNumber('top-k', f.topK, isNonNegInt, 'a non-negative integer'),
        seed: parseNumber('seed', f.seed, isNonNegInt, 'a non-negative integer'),
        stop: f.stop ?? [],
      };
      const policy = EmbeddedPolicy.load(f.model, { weights: parseWeightFormat(f.weights, '--weights') });
      const [c] = await policy.generate([f.prompt], params);
      if (f.json) {
        process.stdout.write(JSON.stringify({ text: c.text, token_ids: c.tokenIds, logprobs: c.logprobs, finish_reason: c.finishReason }) + '\n');
      } else {
        process.stdout.write(c.text + '\n');
      }
    });
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('per-token log-probabilities of completions under prompts (JSONL of {"prompt","completion"})')
    .requiredOption('--model <dir>', 'Hugging Face model directory')
    .requiredOption('--input <file>', 'JSONL, one {"prompt": ..., "completion": ...} per line')
    .option('--output <file>', 'output JSONL (default: stdout)')
    .option('--batch <n>', 'sequences per forward pass', '16')
    .action(async (f: ScoreFlags) => {
      if (f.output) checkOutputFile(f.output, '--output');
      const batchSize = parseNumber('batch', f.batch, isPosInt, 'a positive integer');
      const rows: Array<Record<string, unknown> & { prompt: string; completion: string }> = [];
      for await (const { line, value } of readJsonl(f.input)) {
        for (const field of ['prompt', 'completion']) {
          if (typeof value[field] !== 'string') throw new UserError(`${f.input}:${line}: field "${field}" must be a string, got ${JSON.stringify(value[field]) ?? 'nothing'}`);
        }
        rows.push(value as Record<string, unknown> & { prompt: string; completion: string });
      }
      const policy = EmbeddedPolicy.load(f.model, { scoreBatch: batchSize });
      const bar = progress('score', rows.length);
      const lines: string[] = [];
      for (let start = 0; start < rows.length; start += batchSize) {
        const chunk = rows.slice(start, start + batchSize);
        const s = await policy.score({ prompts: chunk.map((r) => r.prompt), completions: chunk.map((r) => r.completion) });
        chunk.forEach((r, i) => {
          const logprobs = s.logprobs[i];
          lines.push(
            JSON.stringify({
              ...r,
              prompt_token_ids: s.promptTokenIds[i],
              completion_token_ids: s.completionTokenIds[i],
              logprobs,
              sum_logprob: logprobs.reduce((a, b) => a + b, 0),
            }),
          );
        });
        bar.tick(chunk.length);
      }
      bar.stop();
      const text = lines.join('\n') + '\n';
      if (f.output) writeFileAtomic(f.output, text);
      else process.stdout.write(text);
    });
}
