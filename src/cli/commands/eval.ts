import { resolve } from 'node:path';
import type { Command } from 'commander';
import { OpenAIPolicy } from '../../backends/openai.ts';
import type { Policy } from '../../backends/policy.ts';
import type { FieldMapping } from '../../data/load.ts';
import { runEvaluation } from '../../eval/run.ts';
import type { ExplorationReport } from '../../exploration/report.ts';
import { CausalLM, parseWeightFormat, refuseServerWeights, type WeightFormat, WEIGHTS_OPTION_HELP } from '../../model/causal-lm.ts';
import { BatchedEmbeddedPolicy } from '../../server/batched-policy.ts';
import { UserError } from '../../util/errors.ts';
import { checkOutputDir } from '../../util/output-path.ts';
import { parseNumber } from './generate.ts';
import { checkExportFormat, exportEval, importSamples } from './eval-lm-eval.ts';

interface EvalFlags {
  dataset?: string;
  export?: string;
  importSamples?: string;
  problemField?: string;
  answerField?: string;
  idField?: string;
  subjectField?: string;
  levelField?: string;
  dataDir?: string;
  model?: string;
  weights: string;
  baseUrl?: string;
  modelName?: string;
  apiKey?: string;
  api: string;
  template: string;
  asChat?: boolean;
  n: string;
  temperature: string;
  topP: string;
  topK: string;
  maxNewTokens: string;
  seed: string;
  stop?: string[];
  limit?: string;
  extraction?: string;
  concurrency: string;
  verifyThreads: string;
  reflectivePhrases?: string;
  out?: string;
}

const isPosInt = (n: number) => Number.isInteger(n) && n >= 1;
const isNonNegInt = (n: number) => Number.isInteger(n) && n >= 0;

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'evaluate a model on a benchmark: sample, verify, and write results.json (metrics with CIs) and samples.jsonl; resumes an interrupted run in the same --out',
    )
    .option(
      '--dataset <name|file>',
      'benchmark name (math500, aime24, amc23, gsm8k, minerva_math, olympiadbench) or a JSONL file',
    )
    .option('--problem-field <f>', 'JSONL file: field holding the problem (default problem)')
    .option('--answer-field <f>', 'JSONL file: field holding the gold answer (default answer)')
    .option('--id-field <f>', 'JSONL file: field holding a unique id (default: <file name>/<row>)')
    .option('--subject-field <f>', 'JSONL file: field for the subject breakdown')
    .option('--level-field <f>', 'JSONL file: field for the level breakdown')
    .option(
      '--data-dir <dir>',
      'where benchmark names are looked up (default $RLVR_DATA_DIR, else the bundled data/benchmarks)',
    )
    .option('--model <dir>', 'embedded engine: Hugging Face model directory')
    .option('--weights <format>', `embedded engine: ${WEIGHTS_OPTION_HELP}`, 'fp32')
    .option('--base-url <url>', 'OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1')
    .option('--model-name <name>', 'the served model name (with --base-url)')
    .option('--api-key <key>', 'API key (default $OPENAI_API_KEY)')
    .option('--api <kind>', 'with --base-url: auto, completions or chat', 'auto')
    .option('--template <name>', 'prompt template: qwen-boxed, r1-zero, chat, none', 'qwen-boxed')
    .option('--as-chat', "send the template's conversation through the model's chat template")
    .option('--n <k>', 'samples per item', '1')
    .option('--temperature <t>', '0 = greedy', '0')
    .option('--top-p <p>', 'nucleus mass in (0, 1]', '1')
    .option('--top-k <k>', '0 = off', '0')
    .option('--max-new-tokens <m>', 'tokens per response at most', '1024')
    .option(
      '--seed <s>',
      'base seed; each sample draws from a seed derived from (seed, item id, sample index)',
      '0',
    )
    .option('--stop <text...>', 'stop strings')
    .option('--limit <n>', 'the first n items only')
    .option(
      '--extraction <spec>',
      'answer extraction preset (math, gsm8k, r1, lenient, cli, answer) or comma-separated extractors; default by dataset and template',
    )
    .option('--concurrency <n>', 'samples in flight (HTTP requests at once; rows per engine batch)', '16')
    .option('--verify-threads <n>', 'verifier worker threads', '2')
    .option(
      '--reflective-phrases <list>',
      'comma-separated phrases counted in the responses (results.json dynamics); default: wait, let me check, re-evaluate, verify, mistake and their Chinese forms',
    )
    .option('--out <dir>', 'output directory (results.json, samples.jsonl, progress.jsonl); with --import-samples, a JSON report file')
    .option('--export <format>', 'also write the results as lm-evaluation-harness does (lm-eval): <out>/lm-eval/<model>/results_<date>.json, samples_<task>_<date>.jsonl')
    .option('--import-samples <file>', "re-grade an lm-eval samples_<task>_<date>.jsonl with our verifier and report the disagreements (no model needed)")
    .action(async (f: EvalFlags) => {
      if (f.importSamples !== undefined) return importSamples(f.importSamples, f);
      if (f.dataset === undefined || f.out === undefined) throw new UserError('--dataset and --out are required (unless --import-samples)');
      checkExportFormat(f.export);
      const concurrency = parseNumber('concurrency', f.concurrency, isPosInt, 'a positive integer');
      checkOutputDir(f.out, '--out');
      const { policy, model, weights } = openPolicy(f, concurrency);
      const fields: FieldMapping = {};
      if (f.problemField) fields.problemField = f.problemField;
      if (f.answerField) fields.answerField = f.answerField;
      if (f.idField) fields.idField = f.idField;
      if (f.subjectField) fields.subjectField = f.subjectField;
      if (f.levelField) fields.levelField = f.levelField;
      try {
        const results = await runEvaluation({
          policy,
          model,
          weights,
          probeModel: f.baseUrl !== undefined,
          outDir: f.out,
          concurrency,
          verifyThreads: parseNumber('verify-threads', f.verifyThreads, isPosInt, 'a positive integer'),
          dynamics: f.reflectivePhrases === undefined ? undefined : { phrases: parsePhrases(f.reflectivePhrases) },
          config: {
            dataset: f.dataset,
            fields: Object.keys(fields).length > 0 ? fields : undefined,
            dataDir: f.dataDir,
            template: f.template,
            asChat: f.asChat,
            n: parseNumber('n', f.n, isPosInt, 'a positive integer'),
            temperature: parseNumber('temperature', f.temperature, (t) => t >= 0, 'a number ≥ 0'),
            topP: parseNumber('top-p', f.topP, (p) => p > 0 && p <= 1, 'in (0, 1]'),
            topK: parseNumber('top-k', f.topK, isNonNegInt, 'a non-negative integer'),
            maxNewTokens: parseNumber('max-new-tokens', f.maxNewTokens, isPosInt, 'a positive integer'),
            seed: parseNumber('seed', f.seed, isNonNegInt, 'a non-negative integer'),
            stop: f.stop,
            limit:
              f.limit === undefined
                ? undefined
                : parseNumber('limit', f.limit, isPosInt, 'a positive integer'),
            extraction: f.extraction,
          },
        });
        const p1 = results.metrics['pass@1'];
        process.stdout.write(
          `pass@1 ${p1.value.toFixed(4)} [${p1.ci.map((x) => x.toFixed(4)).join(', ')}] over ${results.counts.items} items × ${results.counts.samples_per_item} samples; ${resolve(f.out, 'results.json')}\n`,
        );
        if (results.exploration) process.stdout.write(formatExploration(results.exploration));
        await exportEval(f.export, f.out);
      } finally {
        if (policy instanceof OpenAIPolicy) policy.close();
      }
    });
}

function openPolicy(f: EvalFlags, concurrency: number): { policy: Policy; model: string; weights?: WeightFormat } {
  if ((f.model === undefined) === (f.baseUrl === undefined))
    throw new UserError(
      'give either --model DIR (embedded engine) or --base-url URL with --model-name NAME (a server)',
    );
  if (f.model !== undefined) {
    const weights = parseWeightFormat(f.weights, '--weights');
    return {
      policy: new BatchedEmbeddedPolicy(CausalLM.load(f.model, { weights }), { maxBatch: concurrency }),
      model: resolve(f.model),
      weights,
    };
  }
  refuseServerWeights(f.weights);
  if (!f.modelName)
    throw new UserError('--base-url needs --model-name (the name the server serves; see its /v1/models)');
  if (!['auto', 'completions', 'chat'].includes(f.api))
    throw new UserError(`--api must be auto, completions or chat, got '${f.api}'`);
  const policy = new OpenAIPolicy({
    baseURL: f.baseUrl!,
    model: f.modelName,
    apiKey: f.apiKey,
    api: f.api as 'auto' | 'completions' | 'chat',
    concurrency,
  });
  return { policy, model: f.modelName };
}

function parsePhrases(text: string): string[] {
  const phrases = text.split(',').map((p) => p.trim());
  if (phrases.some((p) => p === '')) throw new UserError(`--reflective-phrases: empty phrase in '${text}'`);
  return phrases;
}

/** The per-size table and the decay fit of an exploration evaluation. */
function formatExploration(r: ExplorationReport): string {
  const pct = (x: number) => (100 * x).toFixed(1).padStart(5);
  const lines = [`exploration (${r.tasks.join(', ')}): size, items, success [95% CI], completeness, valid ratio, duplicates/response, invalid/response`];
  for (const s of r.by_size) {
    lines.push(
      `  ${String(s.size).padStart(4)} ${String(s.items).padStart(5)}  ${pct(s.success_rate.value)}% [${pct(s.success_rate.ci[0])}, ${pct(s.success_rate.ci[1])}]  ${pct(s.completeness.value)}%  ${pct(s.valid_ratio.value)}%  ${s.duplicates_per_response.toFixed(2)}  ${s.invalid_per_response.toFixed(2)}`,
    );
  }
  const d = r.decay;
  lines.push(
    d
      ? `  success ≈ exp(${d.a.toFixed(3)} − ${d.lambda.toFixed(3)}·size); decay rate λ ${d.lambda.toFixed(3)}${d.lambda_ci ? ` [${d.lambda_ci.map((x) => x.toFixed(3)).join(', ')}]` : ''}${d.halving_size ? `, success halves every ${d.halving_size.toFixed(2)} size units` : ''}`
      : '  decay fit: not identifiable (needs successes at two or more sizes)',
  );
  return lines.join('\n') + '\n';
}
