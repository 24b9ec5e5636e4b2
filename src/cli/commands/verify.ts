import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../util/atomic.ts';
import { UserError } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { stripBom } from '../../util/lines.ts';
import { EXTRACTION_PRESETS } from '../../verify/extract.ts';
import { DEFAULT_TIMEOUT_MS, VerifierPool } from '../../verify/pool.ts';
import { checkOutputFile } from '../../util/output-path.ts';

interface VerifyFlags {
  input?: string;
  output?: string;
  gold?: string;
  pred?: string;
  timeoutMs: string;
  threads?: string;
}

function readPairs(file: string): Array<Record<string, unknown> & { gold: string; pred: string }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const rows: Array<Record<string, unknown> & { gold: string; pred: string }> = [];
  for (const [i, line] of stripBom(text).split('\n').entries()) {
    if (line.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new UserError(`${file}:${i + 1}: expected a JSON object with "gold" and "pred"`);
    const r = row as Record<string, unknown>;
    for (const field of ['gold', 'pred']) {
      if (typeof r[field] !== 'string' && typeof r[field] !== 'number') {
        throw new UserError(`${file}:${i + 1}: field "${field}" must be a string, got ${JSON.stringify(r[field]) ?? 'nothing'}`);
      }
    }
    rows.push({ ...r, gold: String(r.gold), pred: String(r.pred) });
  }
  return rows;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`--${flag} must be a positive integer, got '${value}'`);
  return n;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check answers against references: --input FILE.jsonl of {"gold","pred"} lines, or --gold G --pred P')
    .option('--input <file>', 'JSONL file, one {"gold": ..., "pred": ...} per line')
    .option('--output <file>', 'write each input line plus {"correct","extracted","reason"} here (default: stdout)')
    .option('--gold <answer>', 'reference answer (LaTeX or plain; $...$ and \\boxed{} allowed)')
    .option('--pred <text>', 'model response or bare answer')
    .option('--timeout-ms <ms>', 'time limit per pair', String(DEFAULT_TIMEOUT_MS))
    .option('--threads <n>', 'worker threads (default: all cores)')
    .action(async (flags: VerifyFlags) => {
      const single = flags.gold !== undefined || flags.pred !== undefined;
      if (single === (flags.input !== undefined)) throw new UserError('give either --input FILE.jsonl or both --gold and --pred');
      if (single && (flags.gold === undefined || flags.pred === undefined)) throw new UserError('--gold and --pred go together');
      const timeoutMs = positiveInt('timeout-ms', flags.timeoutMs);
      if (flags.output !== undefined) checkOutputFile(flags.output, '--output');
      const pairs = single ? [{ gold: flags.gold!, pred: flags.pred! }] : readPairs(flags.input!);
      const pool = new VerifierPool({ timeoutMs, threads: flags.threads === undefined ? undefined : positiveInt('threads', flags.threads) });
      const options = { extractors: EXTRACTION_PRESETS.cli };
      try {
        if (single) {
          const r = await pool.verify(pairs[0].gold, pairs[0].pred, options);
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        await pool.ready;
        const bar = progress('verify', pairs.length);
        let correct = 0;
        const results = await pool.verifyMany(pairs, options, (_, r) => {
          if (r.correct) correct++;
          bar.tick(1, { correct });
        });
        bar.stop();
        const lines = pairs.map((p, i) => JSON.stringify({ ...p, ...results[i] }) + '\n');
        if (flags.output) writeFileAtomic(flags.output, lines);
        else for (const line of lines) process.stdout.write(line);
        process.stderr.write(`verify: ${correct}/${pairs.length} correct\n`);
      } finally {
        await pool.close();
      }
    });
}
