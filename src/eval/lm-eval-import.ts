/**
 * `rlvr eval --import-samples FILE`: re-grades an lm-evaluation-harness samples file
 * (`samples_<task>_<date>.jsonl`, one line per document and filter) with RLVR Lab's verifier and
 * reports where the two disagree. lm-eval's verdict is the first of the line's metrics
 * (exact_match, math_verify, acc, ...); ours is the verifier's on the first raw response
 * (`resps[0][0]`, what lm-eval's take_first filter grades) against `target`.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import type { Extractor } from '../verify/extract.ts';
import { VerifierPool } from '../verify/pool.ts';

export interface Disagreement {
  doc_id: number;
  filter: string;
  target: string;
  response: string;
  lm_eval: Record<string, number>;
  ours: { correct: boolean; extracted: string | null; reason: string };
}

export interface ImportReport {
  file: string;
  lines: number;
  metric: string;
  lm_eval_correct: number;
  ours_correct: number;
  agree: number;
  /** lm-eval right and we wrong, and the reverse. */
  only_lm_eval: number;
  only_ours: number;
  verifier_timeouts: number;
  disagreements: Disagreement[];
}

interface SampleLine {
  doc_id: number;
  target: unknown;
  resps: unknown;
  filter?: string;
  metrics?: string[];
  [metric: string]: unknown;
}

function firstResponse(resps: unknown): string | null {
  let r = resps;
  while (Array.isArray(r)) r = r[0];
  return typeof r === 'string' ? r : null;
}

function readLmEvalSamples(file: string): SampleLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const lines: SampleLine[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (err) {
      throw new UserError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    const r = row as SampleLine;
    if (typeof r !== 'object' || r === null || typeof r.doc_id !== 'number' || r.target === undefined || !Array.isArray(r.metrics) || r.metrics.length === 0) {
      throw new UserError(`${file}:${i + 1}: not an lm-eval sample line (needs doc_id, target, resps, metrics)`);
    }
    if (firstResponse(r.resps) === null) throw new UserError(`${file}:${i + 1}: resps holds no generated text (a loglikelihood task? only generate_until samples can be re-graded)`);
    const metric = r.metrics[0];
    if (typeof r[metric] !== 'number' && typeof r[metric] !== 'boolean') throw new UserError(`${file}:${i + 1}: metric '${metric}' has no numeric value on the line`);
    lines.push(r);
  }
  if (lines.length === 0) throw new UserError(`${file}: no samples`);
  return lines;
}

export async function importLmEvalSamples(file: string, opts: { extractors: readonly Extractor[]; threads?: number; timeoutMs?: number }): Promise<ImportReport> {
  const lines = readLmEvalSamples(file);
  const metric = lines[0].metrics![0];
  const pool = new VerifierPool({ threads: opts.threads ?? 2, timeoutMs: opts.timeoutMs });
  const bar = progress('regrade', lines.length);
  try {
    await pool.ready;
    const pairs = lines.map((l) => ({ gold: String(l.target), pred: firstResponse(l.resps)! }));
    const verdicts = await pool.verifyMany(pairs, { extractors: opts.extractors }, () => bar.tick(1));
    const report: ImportReport = { file, lines: lines.length, metric, lm_eval_correct: 0, ours_correct: 0, agree: 0, only_lm_eval: 0, only_ours: 0, verifier_timeouts: 0, disagreements: [] };
    lines.forEach((l, i) => {
      const theirs = Number(l[l.metrics![0]]) >= 0.5;
      const ours = verdicts[i];
      if (ours.reason === 'timeout') report.verifier_timeouts++;
      if (theirs) report.lm_eval_correct++;
      if (ours.correct) report.ours_correct++;
      if (theirs === ours.correct) {
        report.agree++;
        return;
      }
      if (theirs) report.only_lm_eval++;
      else report.only_ours++;
      report.disagreements.push({
        doc_id: l.doc_id,
        filter: l.filter ?? 'none',
        target: String(l.target),
        response: pairs[i].pred,
        lm_eval: Object.fromEntries(l.metrics!.map((m) => [m, Number(l[m])])),
        ours: { correct: ours.correct, extracted: ours.extracted, reason: ours.reason },
      });
    });
    return report;
  } finally {
    bar.stop();
    await pool.close();
  }
}
