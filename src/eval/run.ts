/**
 * The evaluation runner: dataset + template + policy + sampling plan → verified samples →
 * metrics. Every finished sample is appended to the output directory's progress log, so an
 * interrupted evaluation resumes where it stopped and ends with the same results.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { ChatMessage, Completion, Policy, SamplingParams } from '../backends/policy.ts';
import type { WeightFormat } from '../model/causal-lm.ts';
import { loadDataset, resolveDataset, type FieldMapping } from '../data/load.ts';
import { getTemplate } from '../data/templates.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { DEFAULT_TIMEOUT_MS, VerifierPool } from '../verify/pool.ts';
import type { BenchmarkItem } from '../data/types.ts';
import type { BootstrapOptions } from './bootstrap.ts';
import { explorationVerdict } from '../exploration/grade.ts';
import type { DynamicsOptions } from './dynamics.ts';
import { extractorsFor, formatCheck } from './format.ts';
import { ProgressLog, type SampleRecord } from './progress-log.ts';
import { computeResults, type ResultMetricsBlock } from './results.ts';

export interface EvalConfig {
  /** A benchmark name or a JSONL path. */
  dataset: string;
  /** Field mapping for a JSONL path. */
  fields?: FieldMapping;
  dataDir?: string;
  /** qwen-boxed, r1-zero, chat, none. */
  template: string;
  /** Send the template's conversation through the model's chat template (`chat` always does). */
  asChat?: boolean;
  n: number;
  temperature: number;
  topP: number;
  topK?: number;
  maxNewTokens: number;
  seed: number;
  stop?: string[];
  /** The first `limit` items only. */
  limit?: number;
  /** Extraction preset or comma-separated extractors; default per dataset/template (format.ts). */
  extraction?: string;
}

export interface EvalOptions {
  policy: Policy;
  /** The model's identity for resume checks (an embedded model's directory, a server's model name). */
  model: string;
  /**
   * An embedded model's projection weights. int8 is recorded with the settings (fp32, the default,
   * is not, so earlier fp32 runs still resume), so a resume cannot mix fp32 and int8 samples and
   * results.json says which weights produced it.
   */
  weights?: WeightFormat;
  /**
   * Also identify the model by its greedy answer to a fixed probe prompt, recorded with the
   * settings: a server's model name alone cannot tell two checkpoints served under one name apart.
   */
  probeModel?: boolean;
  config: EvalConfig;
  outDir: string;
  /** Samples in flight at once; default 16. */
  concurrency?: number;
  /** A verifier pool to use (and leave open), e.g. shared by several evaluations; else one is started. */
  verifier?: VerifierPool;
  verifyThreads?: number;
  /** The verifier's budget per pair, for a pool started here; default 1000 ms. */
  verifyTimeoutMs?: number;
  bootstrap?: BootstrapOptions;
  /** Reflective phrases and the language-mixing threshold of results.json's dynamics block. */
  dynamics?: DynamicsOptions;
}

export interface EvalResults extends ResultMetricsBlock {
  schema: 'rlvr-eval/1';
  config: Record<string, unknown>;
  timing: {
    started_at: string;
    finished_at: string;
    wall_s: number;
    /** Wall time spent asking the policy for the samples this run made (and verifying them). */
    sampling_s: number;
    samples_generated: number;
    /** Samples taken from an earlier, interrupted run's progress log. */
    samples_resumed: number;
    /** Samples verified again after a verifier time-out or worker loss (see reverifyFailures). */
    samples_reverified: number;
    samples_per_s: number;
    response_tokens_per_s: number;
  };
}

/**
 * The sampler seed of sample `sampleIndex` of item `id`: the first 31 bits of
 * SHA-256(JSON [seed, id, sampleIndex]). It depends on nothing else (not on batching, order,
 * concurrency, n or limit), so resumed, extended and re-batched evaluations draw the same samples.
 */
export function sampleSeed(seed: number, id: string, sampleIndex: number): number {
  return (
    parseInt(
      createHash('sha256')
        .update(JSON.stringify([seed, id, sampleIndex]))
        .digest('hex')
        .slice(0, 8),
      16,
    ) >>> 1
  );
}

interface Job {
  item: number;
  sampleIndex: number;
}

export async function runEvaluation(opts: EvalOptions): Promise<EvalResults> {
  const startedAt = new Date();
  const t0 = performance.now();
  const c = opts.config;
  checkConfig(c);
  const template = getTemplate(c.template);
  const chat = c.template === 'chat' || c.asChat === true;
  if (chat && !opts.policy.generateChat)
    throw new UserError(
      `template '${c.template}' as a chat needs a policy that takes conversations; ${opts.policy.id} does not`,
    );
  if (chat && template.messages('') === null)
    throw new UserError(
      `template '${c.template}' is plain text and has no conversation form; drop --as-chat`,
    );
  const dataset = resolveDataset(c.dataset, { fields: c.fields, dataDir: c.dataDir });
  const allItems = await loadDataset(c.dataset, { fields: c.fields, dataDir: c.dataDir });
  const items = c.limit !== undefined ? allItems.slice(0, c.limit) : allItems;
  const extraction = extractorsFor(c.extraction ?? null, dataset.name, c.template);
  const sampling = {
    maxNewTokens: c.maxNewTokens,
    temperature: c.temperature,
    topP: c.topP,
    topK: c.topK ?? 0,
    stop: c.stop ?? [],
  };
  const settings = {
    model: opts.model,
    ...(opts.weights !== undefined && opts.weights !== 'fp32' ? { weights: opts.weights } : {}),
    dataset: resolve(dataset.path),
    fields: c.fields ?? null,
    template: c.template,
    as_chat: chat,
    max_new_tokens: sampling.maxNewTokens,
    temperature: sampling.temperature,
    top_p: sampling.topP,
    top_k: sampling.topK,
    stop: sampling.stop,
    seed: c.seed,
    extractors: extraction.extractors,
  };
  if (opts.probeModel) Object.assign(settings, { model_probe: await modelProbe(opts.policy, chat) });
  const prompts: Array<string | ChatMessage[]> = items.map((item) =>
    chat ? template.messages(item.problem)! : template.text(item.problem),
  );

  const log = new ProgressLog(opts.outDir, settings);
  const verifyTimeoutMs = opts.verifyTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pool =
    opts.verifier ?? new VerifierPool({ threads: opts.verifyThreads ?? 2, timeoutMs: verifyTimeoutMs });
  const retry: { pool: VerifierPool | null } = { pool: null };
  const slowPool = () =>
    (retry.pool ??= new VerifierPool({ threads: 1, timeoutMs: RETRY_TIMEOUT_FACTOR * verifyTimeoutMs }));
  const bar = progress('eval', items.length * c.n);
  try {
    const records: SampleRecord[][] = items.map(() => new Array<SampleRecord>(c.n));
    const jobs: Job[] = [];
    items.forEach((item, t) => {
      for (let i = 0; i < c.n; i++) {
        const done = log.get(item.id, i);
        if (!done) {
          jobs.push({ item: t, sampleIndex: i });
          continue;
        }
        if (JSON.stringify(done.prompt) !== JSON.stringify(prompts[t]) || done.gold !== item.answer) {
          throw new UserError(
            `${log.path}: sample ${i} of '${item.id}' was made for a different prompt or gold answer; the dataset changed since (use another --out)`,
          );
        }
        records[t][i] = done;
      }
    });
    const resumed = items.length * c.n - jobs.length;
    bar.tick(resumed);

    const formatOk = formatCheck(c.template);
    const sampleOne = async ({ item: t, sampleIndex }: Job) => {
      const item = items[t];
      const params: SamplingParams = { ...sampling, n: 1, seed: sampleSeed(c.seed, item.id, sampleIndex) };
      const prompt = prompts[t];
      const [completion]: Completion[] =
        typeof prompt === 'string'
          ? await opts.policy.generate([prompt], params)
          : await opts.policy.generateChat!([prompt], params);
      const verdict =
        explorationVerdict(item.answer, completion.text) ??
        (await pool.verify(item.answer, completion.text, { extractors: extraction.extractors }));
      const record: SampleRecord = {
        id: item.id,
        sample_index: sampleIndex,
        seed: params.seed,
        prompt,
        gold: item.answer,
        response: completion.text,
        extracted: verdict.extracted,
        correct: verdict.correct,
        format_ok: await formatOk(completion.text, verdict.extracted),
        verify_reason: verdict.reason,
        response_tokens: completion.tokenCount ?? completion.tokenIds.length,
        finish_reason: completion.finishReason,
      };
      log.put(record);
      records[t][sampleIndex] = record;
      bar.tick(1);
    };
    const tSampling = performance.now();
    await runLimited(jobs, opts.concurrency ?? 16, sampleOne);
    const samplingS = (performance.now() - tSampling) / 1000;
    bar.stop();
    const reverified = await reverifyFailures(records, items, async (item, response) => {
      const v = await slowPool().verify(item.answer, response, { extractors: extraction.extractors });
      return {
        extracted: v.extracted,
        correct: v.correct,
        format_ok: await formatOk(response, v.extracted),
        verify_reason: v.reason,
      };
    });

    const block = await computeResults(items, records, {
      equivalent: cachedEquivalence(pool),
      greedy: c.temperature === 0,
      bootstrap: opts.bootstrap,
      dynamics: opts.dynamics,
    });
    const generatedTokens = jobs.reduce((n, j) => n + records[j.item][j.sampleIndex].response_tokens, 0);
    const results: EvalResults = {
      schema: 'rlvr-eval/1',
      config: {
        ...settings,
        dataset_name: dataset.name,
        backend: opts.policy.id,
        extraction: extraction.name,
        n: c.n,
        limit: c.limit ?? null,
        bootstrap: { resamples: 1000, level: 0.95, seed: 0, ...opts.bootstrap },
      },
      ...block,
      timing: {
        started_at: startedAt.toISOString(),
        finished_at: new Date().toISOString(),
        wall_s: (performance.now() - t0) / 1000,
        sampling_s: samplingS,
        samples_generated: jobs.length,
        samples_resumed: resumed,
        samples_reverified: reverified,
        samples_per_s: jobs.length / Math.max(samplingS, 1e-9),
        response_tokens_per_s: generatedTokens / Math.max(samplingS, 1e-9),
      },
    };
    writeFileAtomic(join(opts.outDir, 'samples.jsonl'), jsonLines(records));
    writeFileAtomic(join(opts.outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    return results;
  } finally {
    bar.stop();
    log.close();
    if (!opts.verifier) await pool.close();
    await retry.pool?.close();
  }
}

/** The prompt whose greedy answer identifies a served model (EvalOptions.probeModel). */
export const PROBE_PROMPT = 'Question: What is 17 + 25? Explain briefly.\nAnswer:';

/** SHA-256 (first 16 hex digits) of the model's greedy 16-token answer to PROBE_PROMPT. */
async function modelProbe(policy: Policy, chat: boolean): Promise<string> {
  const params: SamplingParams = { maxNewTokens: 16, temperature: 0, topP: 1, topK: 0, stop: [], n: 1, seed: 0 };
  const [c] = chat
    ? await policy.generateChat!([[{ role: 'user', content: PROBE_PROMPT }]], params)
    : await policy.generate([PROBE_PROMPT], params);
  return createHash('sha256').update(c.text).digest('hex').slice(0, 16);
}

/** samples.jsonl one line at a time: joined into one string, a large evaluation would pass V8's string limit. */
function* jsonLines(records: SampleRecord[][]): Generator<string> {
  for (const samples of records) for (const r of samples) yield JSON.stringify(r) + '\n';
}

/** A verification that ran out of time or lost its worker says nothing about the answer. */
const RETRY_TIMEOUT_FACTOR = 10;
const isVerifierFailure = (reason: string) =>
  reason === 'timeout' || reason === 'memory' || reason.startsWith('worker error');

/**
 * Verdicts lost to the verifier's time or memory limits depend on the machine's load (the engine
 * competes for the cores while sampling), so they are verified again once sampling is done, one
 * at a time with a budget RETRY_TIMEOUT_FACTOR times larger. The progress log keeps the first
 * verdict; every run (a resumed one too) repeats this pass, so results do not depend on where a
 * run was interrupted.
 */
async function reverifyFailures(
  records: SampleRecord[][],
  items: readonly BenchmarkItem[],
  verify: (
    item: BenchmarkItem,
    response: string,
  ) => Promise<Pick<SampleRecord, 'extracted' | 'correct' | 'format_ok' | 'verify_reason'>>,
): Promise<number> {
  let count = 0;
  for (const [t, samples] of records.entries()) {
    for (const [i, r] of samples.entries()) {
      if (!isVerifierFailure(r.verify_reason)) continue;
      samples[i] = { ...r, ...(await verify(items[t], r.response)) };
      count++;
    }
  }
  return count;
}

function checkConfig(c: EvalConfig): void {
  const bad = (flag: string, value: unknown, want: string) =>
    new UserError(`--${flag} must be ${want}, got ${JSON.stringify(value)}`);
  if (!Number.isInteger(c.n) || c.n < 1) throw bad('n', c.n, 'a positive integer');
  if (c.limit !== undefined && (!Number.isInteger(c.limit) || c.limit < 1))
    throw bad('limit', c.limit, 'a positive integer');
  if (!(c.temperature >= 0) || !Number.isFinite(c.temperature))
    throw bad('temperature', c.temperature, 'a number ≥ 0');
  if (!(c.topP > 0 && c.topP <= 1)) throw bad('top-p', c.topP, 'in (0, 1]');
  if (!Number.isInteger(c.maxNewTokens) || c.maxNewTokens < 1)
    throw bad('max-new-tokens', c.maxNewTokens, 'a positive integer');
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw bad('seed', c.seed, 'a non-negative integer');
}

/** Runs `task` over `jobs` with at most `limit` at once; after a failure no new job starts, and the first failure is thrown once the running ones settle (and are recorded). */
async function runLimited<J>(
  jobs: readonly J[],
  limit: number,
  task: (job: J) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < jobs.length) {
      const job = jobs[next++];
      try {
        await task(job);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), jobs.length) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}

/** Answer equivalence for cons@k through the verifier (extracted answers compared verbatim), memoized per pair. */
function cachedEquivalence(pool: VerifierPool): (a: string, b: string) => Promise<boolean> {
  const memo = new Map<string, Promise<boolean>>();
  return (a, b) => {
    if (a === b) return Promise.resolve(true);
    const key = JSON.stringify([a, b]);
    let verdict = memo.get(key);
    if (!verdict) {
      verdict = pool.verify(a, b, { extractors: ['verbatim'] }).then((r) => r.correct);
      memo.set(key, verdict);
    }
    return verdict;
  };
}
