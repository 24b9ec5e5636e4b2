/**
 * A rejection-sampling job as the CLI and the pipeline run it: the policy (the embedded engine on
 * a model directory, or a teacher behind any OpenAI-compatible server with the eval backend's
 * retries and response cache), the dataset, sampling, the readability filter, and a progress log
 * next to the output so an interrupted job resumes.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { EmbeddedPolicy } from '../backends/embedded.ts';
import { OpenAIPolicy } from '../backends/openai.ts';
import type { Policy } from '../backends/policy.ts';
import { withExploration } from '../exploration/grade.ts';
import { poolVerify } from '../rewards/index.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { EXTRACTION_PRESETS } from '../verify/extract.ts';
import { VerifierPool } from '../verify/pool.ts';
import { datasetSchema } from './config.ts';
import { loadItems, promptText } from './data.ts';
import { readabilitySchema } from './readability.ts';
import { rejectionSample, type RejectionResult, writeSftDataset } from './rejection.ts';

export const rejectionJobSchema = z.strictObject({
  /** Embedded engine: a Hugging Face model directory. */
  model: z.string().min(1).optional(),
  /** A teacher server: its base URL (…/v1) and served model name. */
  base_url: z.string().url().optional(),
  model_name: z.string().min(1).optional(),
  api_key: z.string().optional(),
  api: z.enum(['auto', 'completions', 'chat']).default('auto'),
  concurrency: z.number().int().positive().default(8),
  dataset: datasetSchema,
  template: z.string().default('none'),
  k: z.number().int().positive().default(8),
  temperature: z.number().min(0).default(1),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: z.number().int().min(0).default(0),
  max_new_tokens: z.number().int().positive().default(256),
  stop: z.array(z.string()).default([]),
  seed: z.number().int().min(0).default(0),
  extractors: z.string().default('math'),
  limit: z.number().int().positive().optional(),
  filter: readabilitySchema.prefault({}),
});

export type RejectionJob = z.output<typeof rejectionJobSchema>;

/** Problems with the job's backend, one message per problem (empty when the job is consistent). */
export function checkRejectionJob(job: RejectionJob): string[] {
  const problems: string[] = [];
  if ((job.model === undefined) === (job.base_url === undefined)) problems.push('model / base_url: give exactly one (a model directory, or a server URL with model_name)');
  if (job.base_url !== undefined && job.model_name === undefined) problems.push('model_name: required with base_url (the name the server serves; see its /v1/models)');
  if (job.base_url !== undefined && job.template === 'chat') problems.push("template: 'chat' needs the model's chat template; with base_url use a text template");
  if (!EXTRACTION_PRESETS[job.extractors]) problems.push(`extractors: unknown preset '${job.extractors}'; known: ${Object.keys(EXTRACTION_PRESETS).join(', ')}`);
  return problems;
}

/**
 * Runs the job and writes `out` atomically; `out`.progress.jsonl records finished chunks and
 * (for a server) `out`.cache.jsonl every response, so a rerun asks only what is missing.
 */
export async function runRejectionJob(job: RejectionJob, out: string, opts: { quiet?: boolean; cachePath?: string } = {}): Promise<RejectionResult> {
  const problems = checkRejectionJob(job);
  if (problems.length) throw new UserError(problems.join('\n'));
  const items = (await loadItems(job.dataset, 'rs')).slice(0, job.limit);
  let policy: Policy;
  let identity: string;
  let prompts: string[];
  if (job.model !== undefined) {
    const embedded = EmbeddedPolicy.load(job.model);
    policy = embedded;
    identity = `embedded:${resolve(job.model)}`;
    prompts = items.map((it) => promptText(it, job.template, embedded.lm.tokenizer));
  } else {
    policy = new OpenAIPolicy({
      baseURL: job.base_url!,
      model: job.model_name!,
      apiKey: job.api_key,
      api: job.api,
      concurrency: job.concurrency,
      cachePath: opts.cachePath ?? `${out}.cache.jsonl`,
    });
    // the address may change between runs (a restarted server); the served model may not
    identity = `openai:${job.model_name}`;
    prompts = items.map((it) => promptText(it, job.template, null));
  }
  const pool = new VerifierPool();
  const bar = opts.quiet ? null : progress('rejection-sample', items.length);
  try {
    const result = await rejectionSample(
      policy,
      items,
      prompts,
      { n: job.k, temperature: job.temperature, topP: job.top_p, topK: job.top_k, maxNewTokens: job.max_new_tokens, stop: job.stop, seed: job.seed },
      withExploration(poolVerify(pool)),
      EXTRACTION_PRESETS[job.extractors],
      {
        filter: job.filter,
        progressPath: `${out}.progress.jsonl`,
        settings: { model: identity, dataset: job.dataset, template: job.template, limit: job.limit ?? null },
        onBatch: (n) => bar?.tick(n),
      },
    );
    writeSftDataset(out, result.rows);
    return result;
  } finally {
    bar?.stop();
    if (policy instanceof OpenAIPolicy) policy.close();
    await pool.close();
  }
}

export function describeRejection(r: RejectionResult, items: number | null = null): string {
  const dropped = Object.entries(r.rejected)
    .filter(([, k]) => k > 0)
    .map(([why, k]) => `${why} ${k}`)
    .join(', ');
  return `kept ${r.rows.length} of ${r.sampled} samples${dropped ? ` (dropped: ${dropped})` : ''}; ${r.promptsWithAKeeper}${items === null ? '' : `/${items}`} problems have at least one`;
}
