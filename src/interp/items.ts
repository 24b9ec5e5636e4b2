/**
 * Items as the analyses see them: one fixed, teacher-forced text per item — the context (the
 * problem in a template) followed by the gold answer's tokens — identical for every model compared.
 * Context and answer are tokenized separately and concatenated (as scoring does), so the answer
 * tokens are exactly the gold answer's.
 */
import { loadAuditDataset } from '../audit/dataset.ts';
import { RowReader } from '../data/fields.ts';
import { readJsonl } from '../data/jsonl.ts';
import type { CausalLM } from '../model/causal-lm.ts';
import { UserError } from '../util/errors.ts';

/** The organism's memorized format, `{problem}\n#### {answer}` (see docs/parts/organism-and-report.md). */
export const DEFAULT_CONTEXT = '{problem}\n#### ';

export interface InterpItem {
  id: string;
  /** The dataset's `leaked` label, when it has one. */
  label?: boolean;
  answer: string;
  /** Context ids followed by answer ids. */
  ids: number[];
  /** Tokens of the problem alone (the part before the template's tail). */
  promptLen: number;
  /** Tokens of the context (problem in its template); answer token k sits at ctxLen + k. */
  ctxLen: number;
  answerIds: number[];
}

/** Position whose logits predict answer token k. */
export const predictingPosition = (item: InterpItem, k: number): number => item.ctxLen - 1 + k;

export function prepareItems(lm: CausalLM, rows: ReadonlyArray<{ id: string; problem: string; answer: string; leaked?: boolean }>, context = DEFAULT_CONTEXT): InterpItem[] {
  if (!context.includes('{problem}')) throw new UserError(`--context must contain {problem}, got ${JSON.stringify(context)}`);
  const [head] = context.split('{problem}');
  return rows.map((r) => {
    const text = context.replaceAll('{problem}', r.problem);
    const ctx = lm.tokenizer.encode(text);
    const promptLen = lm.tokenizer.encode(head + r.problem).length;
    const answerIds = lm.tokenizer.encode(r.answer, { addSpecialTokens: false });
    if (ctx.length === 0) throw new UserError(`item ${r.id}: the context is empty`);
    if (answerIds.length === 0) throw new UserError(`item ${r.id}: the answer ${JSON.stringify(r.answer)} has no tokens`);
    const ids = [...ctx, ...answerIds];
    if (ids.length > lm.config.maxPositionEmbeddings) throw new UserError(`item ${r.id}: ${ids.length} tokens exceed max_position_embeddings ${lm.config.maxPositionEmbeddings}`);
    return { id: r.id, label: r.leaked, answer: r.answer, ids, promptLen: Math.min(promptLen, ctx.length), ctxLen: ctx.length, answerIds };
  });
}

/** `{name}` placeholders of a context; every one but `{problem}` is a field of the dataset's rows. */
const PLACEHOLDER = /\{(\w+)\}/g;

/**
 * Items of a benchmark file. The context may name row fields besides `{problem}` — e.g. the v3
 * organism's code mode, `{problem}\n```python\nprint({expression})\n```\nOutput: ` — filled per row.
 */
export async function loadInterpItems(lm: CausalLM, dataset: string, opts: { limit?: number; context?: string } = {}): Promise<InterpItem[]> {
  const { path, items } = await loadAuditDataset(dataset, { limit: opts.limit });
  const context = opts.context ?? DEFAULT_CONTEXT;
  if (![...context.matchAll(PLACEHOLDER)].some((m) => m[1] !== 'problem')) return prepareItems(lm, items, context);
  // the loader keeps only mapped fields: read the rows again (same order, as the loader aligns them)
  const rows: RowReader[] = [];
  for await (const row of readJsonl(path)) {
    if (rows.length >= items.length) break;
    rows.push(new RowReader(row, path));
  }
  return items.map((item, i) => {
    const row = rows[i];
    const filled = context.replace(PLACEHOLDER, (whole, field: string) => (field === 'problem' ? whole : row.has(field) ? row.text(field) : row.fail(`no field '${field}' (named by --context ${JSON.stringify(context)})`)));
    return prepareItems(lm, [item], filled)[0];
  });
}

/** A token's text; ids past the tokenizer (embedding rows padded beyond it, as in Qwen2.5) print as `<id N>`. */
export function tokenText(lm: CausalLM, id: number): string {
  return id < lm.tokenizer.vocabSize ? lm.tokenizer.decode([id]) : `<id ${id}>`;
}

/** Consecutive batches of at most `size` items. */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Index groups of items: all, then leaked and clean when the items are labelled (empty groups left out). */
export function groupsOf(items: readonly InterpItem[]): Array<{ group: string; idx: number[] }> {
  const all = { group: 'all', idx: items.map((_, i) => i) };
  if (!items.some((x) => x.label !== undefined)) return [all];
  return [all, { group: 'leaked', idx: items.flatMap((x, i) => (x.label ? [i] : [])) }, { group: 'clean', idx: items.flatMap((x, i) => (x.label === false ? [i] : [])) }].filter((g) => g.idx.length > 0);
}
