/** The lm-evaluation-harness side of `rlvr eval`: --export lm-eval and --import-samples FILE. */
import { exportLmEval } from '../../eval/lm-eval-export.ts';
import { importLmEvalSamples } from '../../eval/lm-eval-import.ts';
import { extractorsFor } from '../../eval/format.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { checkOutputFile } from '../../util/output-path.ts';
import { parseNumber } from './generate.ts';
import { UserError } from '../../util/errors.ts';

const EXPORT_FORMATS = ['lm-eval'];

export function checkExportFormat(format: string | undefined): void {
  if (format !== undefined && !EXPORT_FORMATS.includes(format)) throw new UserError(`--export must be one of ${EXPORT_FORMATS.join(', ')}, got '${format}'`);
}

/** After an evaluation: the lm-eval files next to results.json. */
export async function exportEval(format: string | undefined, outDir: string): Promise<void> {
  if (format === undefined) return;
  const e = await exportLmEval(outDir);
  process.stdout.write(`lm-eval: ${e.resultsPath}\nlm-eval: ${e.samplesPath}\n`);
}

/** Re-grades an lm-eval samples file; prints a summary and the disagreements, and keeps the report in `out` (JSON) when given. */
export async function importSamples(file: string, f: { extraction?: string; verifyThreads: string; out?: string }): Promise<void> {
  if (f.out) checkOutputFile(f.out, '--out');
  const { extractors, name } = extractorsFor(f.extraction ?? 'cli', '', 'none');
  const threads = parseNumber('verify-threads', f.verifyThreads, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
  const report = await importLmEvalSamples(file, { extractors, threads });
  if (f.out) writeFileAtomic(f.out, JSON.stringify({ extraction: name, ...report }, null, 2) + '\n');
  for (const d of report.disagreements.slice(0, 20)) {
    const said = d.ours.correct ? 'we: correct, lm-eval: wrong' : 'lm-eval: correct, we: wrong';
    process.stdout.write(`doc ${d.doc_id} [${d.filter}] ${said}; target ${JSON.stringify(d.target.slice(-80))}, we extracted ${JSON.stringify(d.ours.extracted)} (${d.ours.reason})\n`);
  }
  if (report.disagreements.length > 20) process.stdout.write(`... ${report.disagreements.length - 20} more${f.out ? ` in ${f.out}` : ' (--out FILE.json keeps them all)'}\n`);
  process.stdout.write(
    `${report.lines} samples: lm-eval ${report.metric} ${report.lm_eval_correct} correct, our verifier ${report.ours_correct}; agree on ${report.agree}, disagree on ${report.disagreements.length} (${report.only_lm_eval} only lm-eval right, ${report.only_ours} only ours)${report.verifier_timeouts ? `; ${report.verifier_timeouts} verifier timeouts` : ''}\n`,
  );
}
