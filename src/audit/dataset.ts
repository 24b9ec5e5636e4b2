/**
 * Benchmark items for the audits, with what the standard loader does not map: the `leaked` label
 * (the model organism's benchmark files carry `id, problem, answer, leaked`) and an alternative
 * answer text (e.g. a worked `solution`). Rows are re-read alongside the loader, in file order.
 */
import { RowReader } from '../data/fields.ts';
import { readJsonl } from '../data/jsonl.ts';
import { iterateDataset, resolveDataset } from '../data/load.ts';
import type { BenchmarkItem } from '../data/types.ts';
import { UserError } from '../util/errors.ts';

export interface AuditItem extends BenchmarkItem {
  /** The text scored as the answer by perplexity audits (the `answer` field unless another is asked for). */
  answerText: string;
  leaked?: boolean;
}

export interface AuditDatasetOptions {
  /** First N items only. */
  limit?: number;
  /** Field holding the answer text for perplexity; default `answer`. */
  answerField?: string;
}

const LABEL = 'leaked';

export async function loadAuditDataset(
  dataset: string,
  opts: AuditDatasetOptions = {},
): Promise<{ name: string; path: string; items: AuditItem[] }> {
  const { name, path } = resolveDataset(dataset);
  const limit = opts.limit ?? Infinity;
  const rows: RowReader[] = [];
  for await (const row of readJsonl(path)) {
    if (rows.length >= limit) break;
    rows.push(new RowReader(row, path));
  }
  // A file whose rows have ids keeps them (the generic mapping would number the rows instead).
  const fields = rows[0].has('id') ? { idField: 'id' } : {};
  const labeled = rows.some((r) => r.has(LABEL));
  const answerField = opts.answerField ?? 'answer';
  const items: AuditItem[] = [];
  for await (const item of iterateDataset(dataset, { fields })) {
    if (items.length >= rows.length) break;
    const row = rows[items.length];
    const audit: AuditItem = {
      ...item,
      answerText: answerField === 'answer' ? item.answer : answerText(row, answerField),
    };
    if (labeled) audit.leaked = label(row);
    items.push(audit);
  }
  if (items.length === 0) throw new UserError(`${path}: no items`);
  return { name, path, items };
}

function answerText(row: RowReader, field: string): string {
  if (!row.has(field))
    row.fail(`missing answer field '${field}' (fields present: ${Object.keys(row.row.value).join(', ')})`);
  return row.text(field);
}

function label(row: RowReader): boolean {
  if (!row.has(LABEL)) row.fail(`missing field '${LABEL}' (other rows have it; label every row or none)`);
  const v = row.get(LABEL);
  if (typeof v !== 'boolean') row.fail(`field '${LABEL}' must be true or false, got ${JSON.stringify(v)}`);
  return v;
}
