import type { Command } from 'commander';
import { join } from 'node:path';
import { EmbeddedPolicy } from '../../backends/embedded.ts';
import { parseWeightFormat, refuseServerWeights, WEIGHTS_OPTION_HELP } from '../../model/causal-lm.ts';
import { OpenAIPolicy } from '../../backends/openai.ts';
import type { Policy } from '../../backends/policy.ts';
import { modelList, type ModelRef, runCheckpoints } from '../../audit/checkpoints.ts';
import {
  DEFAULT_ANSWER_TOKENS,
  DEFAULT_MARGIN,
  DEFAULT_RATIOS,
  runContaminationProbe,
  summarizeProbe,
} from '../../audit/contamination.ts';
import { loadAuditDataset } from '../../audit/dataset.ts';
import { itemPerplexities, type PerplexityRow, summarizePerplexities } from '../../audit/perplexity.ts';
import type { SplitTokenizer } from '../../audit/prefix.ts';
import { getTemplate, type RenderChat } from '../../data/templates.ts';
import type { Tokenizer } from '../../model/tokenizer.ts';
import { removeStaleTemps, writeFileAtomic } from '../../util/atomic.ts';
import { UserError } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { EXTRACTION_PRESETS } from '../../verify/extract.ts';
import { VerifierPool } from '../../verify/pool.ts';
import { parseNumber } from './generate.ts';
import { registerSpurious } from './audit-spurious.ts';
import { checkOutputDir } from '../../util/output-path.ts';

const BOOTSTRAP_RESAMPLES = 1000;
const BOOTSTRAP_LEVEL = 0.95;

/** The `audit` group's subcommands; a new audit adds its registrar here. */
export const auditSubcommands: Array<(audit: Command) => void> = [registerContamination, registerPerplexity, registerSpurious];

export function registerAudit(program: Command): Command {
  const audit = program
    .command('audit')
    .description('audit the reward signal: contamination probes, perplexity curves');
  for (const register of auditSubcommands) register(audit);
  return audit;
}

const isPosInt = (n: number) => Number.isInteger(n) && n >= 1;
const isNonNegInt = (n: number) => Number.isInteger(n) && n >= 0;

export function parseRatios(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const ratios = parts.map((s) =>
    parseNumber('ratios', s, (n) => n > 0 && n < 1, 'comma-separated numbers strictly between 0 and 1'),
  );
  const twice = ratios.find((r, i) => ratios.indexOf(r) !== i);
  if (twice !== undefined) throw new UserError(`--ratios lists ${twice} twice`);
  return ratios;
}

function jsonl(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r) + '\n').join('');
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x));

interface ContaminationFlags {
  dataset: string;
  model?: string;
  weights: string;
  baseUrl?: string;
  modelName?: string;
  apiKey?: string;
  ratios: string;
  limit?: string;
  tokenLevel?: boolean;
  margin: string;
  answerTokens: string;
  seed: string;
  threads?: string;
  out: string;
}

function registerContamination(audit: Command): void {
  audit
    .command('contamination')
    .description(
      'partial-prompt completion probes: ROUGE-L, exact match and answer accuracy of greedy continuations of question prefixes',
    )
    .requiredOption(
      '--dataset <name|file>',
      'benchmark name or JSONL file (a boolean `leaked` field on every row adds AUROCs)',
    )
    .option('--model <dir>', 'Hugging Face model directory (embedded engine)')
    .option('--weights <format>', `embedded engine: ${WEIGHTS_OPTION_HELP}`, 'fp32')
    .option(
      '--base-url <url>',
      'OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (uses /v1/completions)',
    )
    .option('--model-name <name>', 'served model name (with --base-url)')
    .option('--api-key <key>', 'API key (default $OPENAI_API_KEY)')
    .option('--ratios <list>', 'prefix ratios in (0, 1)', DEFAULT_RATIOS.join(','))
    .option('--limit <n>', 'first N items only')
    .option('--token-level', "cut prefixes by the model's tokens instead of characters (needs --model)")
    .option('--margin <x>', 'continuation budget per remainder token', String(DEFAULT_MARGIN))
    .option(
      '--answer-tokens <n>',
      'extra tokens for the continuation to state an answer',
      String(DEFAULT_ANSWER_TOKENS),
    )
    .option('--seed <s>', 'bootstrap seed', '0')
    .option('--threads <n>', 'verifier threads (default: every core)')
    .requiredOption('--out <dir>', 'output directory (summary.json, items.jsonl)')
    .action(async (f: ContaminationFlags) => {
      checkOutputDir(f.out, '--out');
      removeStaleTemps(f.out);
      const ratios = parseRatios(f.ratios);
      if ((f.model === undefined) === (f.baseUrl === undefined))
        throw new UserError('give exactly one of --model DIR or --base-url URL');
      if (f.baseUrl !== undefined && f.modelName === undefined)
        throw new UserError('--base-url needs --model-name (the served model name)');
      if (f.tokenLevel && f.model === undefined)
        throw new UserError("--token-level needs --model DIR (a server's tokenizer is not available)");
      const weights = parseWeightFormat(f.weights, '--weights');
      if (f.model === undefined) refuseServerWeights(weights);
      const limit =
        f.limit === undefined ? undefined : parseNumber('limit', f.limit, isPosInt, 'a positive integer');
      const margin = parseNumber('margin', f.margin, (n) => n > 0, 'a number > 0');
      const answerTokens = parseNumber(
        'answer-tokens',
        f.answerTokens,
        isNonNegInt,
        'a non-negative integer',
      );
      const seed = parseNumber('seed', f.seed, isNonNegInt, 'a non-negative integer');
      const threads =
        f.threads === undefined
          ? undefined
          : parseNumber('threads', f.threads, isPosInt, 'a positive integer');
      const { name, path, items } = await loadAuditDataset(f.dataset, { limit });

      let policy: Policy;
      let tokenizer: SplitTokenizer | undefined;
      let close = () => {};
      if (f.model !== undefined) {
        const embedded = EmbeddedPolicy.load(f.model, { weights });
        [policy, tokenizer] = [embedded, embedded.lm.tokenizer];
      } else {
        const http = new OpenAIPolicy({
          baseURL: f.baseUrl!,
          model: f.modelName!,
          apiKey: f.apiKey,
          api: 'completions',
        });
        [policy, close] = [http, () => http.close()];
      }
      const verifier = new VerifierPool({ threads });
      const bar = progress('contamination', items.length * ratios.length);
      let ticked = 0;
      try {
        const { records, skipped } = await runContaminationProbe(policy, items, {
          ratios,
          tokenLevel: f.tokenLevel,
          tokenizer,
          margin,
          answerTokens,
          verifier,
          onProgress: (done) => {
            bar.tick(done - ticked);
            ticked = done;
          },
        });
        bar.stop();
        const bootstrap = { resamples: BOOTSTRAP_RESAMPLES, level: BOOTSTRAP_LEVEL, seed };
        const perRatio = summarizeProbe(records, skipped, ratios, bootstrap);
        const labeled = items.every((i) => i.leaked !== undefined);
        const summary = {
          dataset: name,
          dataset_path: path,
          policy: policy.id,
          config: {
            ...(f.model !== undefined ? { weights } : {}),
            ratios,
            split: f.tokenLevel ? 'tokens' : 'characters',
            margin,
            answer_tokens: answerTokens,
            answer_extractors: EXTRACTION_PRESETS.lenient,
            limit: limit ?? null,
            bootstrap,
          },
          counts: {
            items: items.length,
            labeled,
            leaked: labeled ? items.filter((i) => i.leaked).length : null,
            skipped: skipped.length,
          },
          skipped,
          ratios: perRatio,
        };
        writeFileAtomic(join(f.out, 'items.jsonl'), jsonl(records));
        writeFileAtomic(join(f.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
        for (const s of perRatio) {
          const auc = s.auroc ? ` auroc(rouge_l)=${fmt(s.auroc.rouge_l ?? NaN)}` : '';
          process.stdout.write(
            `ratio ${s.prefix_ratio}: n=${s.n} rouge_l=${fmt(s.rouge_l.value)} em=${fmt(s.exact_match.value)} answer_acc=${fmt(s.answer_accuracy.value)}${auc}\n`,
          );
        }
        process.stdout.write(`wrote ${join(f.out, 'summary.json')} and items.jsonl\n`);
      } finally {
        bar.stop();
        await verifier.close();
        close();
      }
    });
}

interface PerplexityFlags {
  run?: string;
  models?: string;
  dataset: string;
  template: string;
  answerField: string;
  limit?: string;
  batch: string;
  seed: string;
  out: string;
}

/** The text that starts a document for this tokenizer: its BOS token, else its (first) EOS token. */
function documentStart(tokenizer: Tokenizer, dir: string): string {
  const id = tokenizer.bosTokenId ?? tokenizer.eosTokenIds[0];
  const text = id === undefined ? undefined : tokenizer.idToToken(id);
  if (text === undefined)
    throw new UserError(`${dir}: the tokenizer has neither a BOS nor an EOS token to start a document with`);
  return text;
}

function registerPerplexity(audit: Command): void {
  audit
    .command('perplexity')
    .description(
      "answer, prompt and full-text perplexity of a dataset across a run's checkpoints (perplexity-paradox curves)",
    )
    .option('--run <dir>', 'run directory with checkpoints/step-N/ model directories')
    .option('--models <dirs>', 'comma-separated model directories, in curve order (instead of --run)')
    .requiredOption('--dataset <name|file>', 'benchmark name or JSONL file')
    .option('--template <name>', 'prompt template the answer follows', 'none')
    .option('--answer-field <field>', "the row field scored as the answer (e.g. 'solution')", 'answer')
    .option('--limit <n>', 'first N items only')
    .option('--batch <n>', 'sequences per forward pass', '16')
    .option('--seed <s>', 'bootstrap seed', '0')
    .requiredOption('--out <dir>', 'output directory (perplexity.json, perplexity_items.jsonl)')
    .action(async (f: PerplexityFlags) => {
      checkOutputDir(f.out, '--out');
      removeStaleTemps(f.out);
      if ((f.run === undefined) === (f.models === undefined))
        throw new UserError('give exactly one of --run RUN_DIR or --models DIR1,DIR2,...');
      const template = getTemplate(f.template);
      const limit =
        f.limit === undefined ? undefined : parseNumber('limit', f.limit, isPosInt, 'a positive integer');
      const batch = parseNumber('batch', f.batch, isPosInt, 'a positive integer');
      const seed = parseNumber('seed', f.seed, isNonNegInt, 'a non-negative integer');
      const refs: ModelRef[] =
        f.run !== undefined ? runCheckpoints(f.run) : modelList(f.models!.split(',').filter((d) => d !== ''));
      const { name, path, items } = await loadAuditDataset(f.dataset, { limit, answerField: f.answerField });
      const bootstrap = { resamples: BOOTSTRAP_RESAMPLES, level: BOOTSTRAP_LEVEL, seed };
      const curves: object[] = [];
      const rows: Array<PerplexityRow & { checkpoint: string; step: number | null }> = [];
      for (const ref of refs) {
        const policy = EmbeddedPolicy.load(ref.dir, { scoreBatch: batch });
        const tokenizer = policy.lm.tokenizer;
        const renderChat: RenderChat | undefined = tokenizer.chatTemplate
          ? (messages) =>
              tokenizer.applyChatTemplate(
                messages.map((m) => ({ ...m })),
                { addGenerationPrompt: true },
              )
          : undefined;
        const start = documentStart(tokenizer, ref.dir);
        const bar = progress(`perplexity ${ref.label}`, items.length);
        let ticked = 0;
        const itemRows = await itemPerplexities(policy, items, {
          template,
          renderChat,
          documentStart: start,
          batch,
          onProgress: (done) => {
            bar.tick(done - ticked);
            ticked = done;
          },
        });
        bar.stop();
        const summary = summarizePerplexities(itemRows, bootstrap);
        curves.push({ label: ref.label, step: ref.step, dir: ref.dir, document_start: start, ...summary });
        rows.push(...itemRows.map((r) => ({ checkpoint: ref.label, step: ref.step, ...r })));
        process.stdout.write(
          `${ref.label}: answer_ppl median=${fmt(summary.answer_ppl.median.value)} prompt_ppl median=${fmt(summary.prompt_ppl.median.value)} full_ppl median=${fmt(summary.full_ppl.median.value)}\n`,
        );
        // Rewritten after every checkpoint, so a long run keeps the curves computed so far.
        const result = {
          dataset: name,
          dataset_path: path,
          config: { template: template.name, answer_field: f.answerField, limit: limit ?? null, bootstrap },
          checkpoints: curves,
        };
        writeFileAtomic(join(f.out, 'perplexity_items.jsonl'), jsonl(rows));
        writeFileAtomic(join(f.out, 'perplexity.json'), JSON.stringify(result, null, 2) + '\n');
      }
      process.stdout.write(`wrote ${join(f.out, 'perplexity.json')} and perplexity_items.jsonl\n`);
    });
}
