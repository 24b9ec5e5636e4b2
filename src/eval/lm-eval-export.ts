/**
 * `rlvr eval --export lm-eval`: an evaluation's results.json and samples.jsonl rewritten in
 * lm-evaluation-harness's output schema (lm_eval/result_schema.py, v0.4.12+), so that tools
 * reading lm-eval output (leaderboards, zeno, its own `--log_samples` readers) read ours:
 * `results_<date>.json` and `samples_<task>_<date>.jsonl` under `<dir>/<model_sanitized>/`.
 *
 * The task is named after the dataset (e.g. `math500`), not after an lm-eval task: the prompts,
 * extraction and grading are RLVR Lab's, and the numbers are not lm-eval's minerva_math500.
 * Metric keys are `"<metric>,none"` with `"<metric>_stderr,none"` (lm-eval's mean_stderr, the
 * sample standard deviation of the per-document values over √n): exact_match (mean correctness
 * over a document's samples), pass@k for k ≥ 2, and format_rate.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../data/jsonl.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { passAtK } from './passk.ts';
import type { SampleRecord } from './progress-log.ts';

/** lm_eval.utils.hash_string. */
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Python's json.dumps(value, indent=2) (ensure_ascii on), for lm-eval's doc_hash. */
export function pythonJsonDumps(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** lm_eval.utils.sanitize_model_name. */
export const sanitizeModelName = (name: string) => name.replace(/["<>:/|\\?*[\]]+/g, '__');

/** lm-eval's date_id: datetime.now().isoformat().replace(":", "-"), here in UTC. */
export function dateId(d: Date): string {
  return d.toISOString().replace('Z', '000').replaceAll(':', '-');
}

function meanStderr(values: number[]): number | 'N/A' {
  const n = values.length;
  if (n < 2) return 'N/A';
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return Math.sqrt(variance / n);
}

interface EvalResultsFile {
  config: Record<string, unknown> & { dataset_name: string; model: string; n: number; backend: string; seed: number };
  counts: { items: number };
  timing: { wall_s: number; finished_at: string };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Samples grouped by item id, in file order, each group in sample-index order (the file streamed: it can exceed a string's length). */
async function groupSamples(path: string): Promise<SampleRecord[][]> {
  const groups = new Map<string, SampleRecord[]>();
  for await (const { value, line } of readJsonl(path)) {
    if (typeof value.id !== 'string' || typeof value.sample_index !== 'number') throw new UserError(`${path}:${line}: not an rlvr eval sample (needs a string id and a numeric sample_index)`);
    const r = value as unknown as SampleRecord;
    const g = groups.get(r.id) ?? [];
    g.push(r);
    groups.set(r.id, g);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a.sample_index - b.sample_index));
}

export interface LmEvalExport {
  resultsPath: string;
  samplesPath: string;
  task: string;
}

/** Writes the lm-eval files for the evaluation in `evalDir` under `destDir` (default `<evalDir>/lm-eval`). */
export async function exportLmEval(evalDir: string, destDir = join(evalDir, 'lm-eval'), now = new Date()): Promise<LmEvalExport> {
  const results = readJson(join(evalDir, 'results.json')) as EvalResultsFile;
  if (!results.config?.dataset_name) throw new UserError(`${join(evalDir, 'results.json')}: not an rlvr eval results file (no config.dataset_name)`);
  const docs = await groupSamples(join(evalDir, 'samples.jsonl'));
  const task = results.config.dataset_name;
  const c = results.config;
  const genKwargs = { until: c.stop ?? [], max_gen_toks: c.max_new_tokens, temperature: c.temperature, top_p: c.top_p, do_sample: (c.temperature as number) > 0 };
  const minSamples = Math.min(...docs.map((d) => d.length));

  const perDoc = docs.map((samples) => {
    const correct = samples.filter((s) => s.correct).length;
    const metrics: Record<string, number> = { exact_match: correct / samples.length };
    for (let k = 2; k <= minSamples; k++) metrics[`pass@${k}`] = passAtK(samples.length, correct, k);
    metrics.format_rate = samples.filter((s) => s.format_ok).length / samples.length;
    return metrics;
  });
  const metricNames = Object.keys(perDoc[0] ?? { exact_match: 0 });

  const lines = docs.map((samples, docId) => {
    const first = samples[0];
    const doc = { id: first.id, prompt: first.prompt, answer: first.gold };
    const prompt = typeof first.prompt === 'string' ? first.prompt : JSON.stringify(first.prompt);
    const target = first.gold;
    return {
      doc_id: docId,
      doc,
      target,
      arguments: { gen_args_0: { arg_0: prompt, arg_1: genKwargs } },
      resps: [samples.map((s) => s.response)],
      filtered_resps: samples.length === 1 ? [first.response] : [samples.map((s) => s.response)],
      filter: 'none',
      metrics: metricNames,
      doc_hash: sha256(pythonJsonDumps(doc)),
      prompt_hash: sha256(prompt),
      target_hash: sha256(String(target)),
      ...perDoc[docId],
      // RLVR Lab's own per-sample verdicts, for readers that want more than lm-eval keeps.
      rlvr: samples.map((s) => ({ sample_index: s.sample_index, extracted: s.extracted, correct: s.correct, verify_reason: s.verify_reason, finish_reason: s.finish_reason })),
    };
  });

  const taskResults: Record<string, unknown> = { alias: task, name: task, sample_len: docs.length };
  for (const m of metricNames) {
    const values = perDoc.map((d) => d[m]);
    taskResults[`${m},none`] = values.reduce((a, b) => a + b, 0) / values.length;
    taskResults[`${m}_stderr,none`] = meanStderr(values);
  }
  const modelName = String(c.model);
  const file = {
    results: { [task]: taskResults },
    group_subtasks: { [task]: [] },
    configs: { [task]: { task, dataset_path: c.dataset, output_type: 'generate_until', generation_kwargs: genKwargs, repeats: c.n, num_fewshot: 0, metric_list: metricNames.map((m) => ({ metric: m, aggregation: 'mean', higher_is_better: true })), metadata: { rlvr_eval: c } } },
    versions: { [task]: 'rlvr-eval/1' },
    'n-shot': { [task]: 0 },
    higher_is_better: { [task]: Object.fromEntries(metricNames.map((m) => [m, true])) },
    'n-samples': { [task]: { original: results.counts.items, effective: docs.length } },
    config: { model: c.backend, model_args: modelName, batch_size: null, limit: c.limit ?? null, bootstrap_iters: 0, gen_kwargs: genKwargs, random_seed: c.seed },
    date: Date.parse(results.timing.finished_at) / 1000,
    model_source: c.backend,
    model_name: modelName,
    model_name_sanitized: sanitizeModelName(modelName),
    task_hashes: { [task]: sha256(lines.map((l) => l.doc_hash + l.prompt_hash + l.target_hash).join('')) },
    total_evaluation_time_seconds: String(results.timing.wall_s),
  };
  const id = dateId(now);
  const dir = join(destDir, sanitizeModelName(modelName));
  const resultsPath = join(dir, `results_${id}.json`);
  const samplesPath = join(dir, `samples_${task}_${id}.jsonl`);
  writeFileAtomic(samplesPath, lines.map((l) => JSON.stringify(l) + '\n'));
  writeFileAtomic(resultsPath, JSON.stringify(file, null, 2) + '\n');
  return { resultsPath, samplesPath, task };
}
