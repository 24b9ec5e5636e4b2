import { existsSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';
import { benchmarkMappers, type RowMapper } from './benchmarks.ts';
import { RowReader } from './fields.ts';
import { readJsonl } from './jsonl.ts';
import type { BenchmarkItem } from './types.ts';

/** Which fields of an arbitrary JSONL file hold the item's parts. */
export interface FieldMapping {
  /** Default `problem`. */
  problemField?: string;
  /** Default `answer`; a number keeps its source text. */
  answerField?: string;
  /** Default: none, and the id is `<file name without .jsonl>/<row index>`. */
  idField?: string;
  subjectField?: string;
  levelField?: string;
}

export interface DatasetOptions {
  /** Where named benchmarks live; default $RLVR_DATA_DIR, else the repository's data/benchmarks. */
  dataDir?: string;
  /** Read a file path with the field mapping of this named benchmark instead of a generic mapping. */
  format?: string;
  /** Generic mapping for a file path; ignored for named benchmarks. */
  fields?: FieldMapping;
}

export interface ResolvedDataset {
  /** The benchmark name, or the file's base name for a generic file. */
  name: string;
  path: string;
  mapper: RowMapper;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function defaultDataDir(): string {
  return process.env.RLVR_DATA_DIR ?? resolve(repoRoot, 'data', 'benchmarks');
}

export const benchmarkNames = Object.keys(benchmarkMappers);

/**
 * `dataset` is a benchmark name (`math500`, ...) or a JSONL file path. A path is read with
 * `format`'s mapping when given, else with the generic field mapping.
 */
export function resolveDataset(dataset: string, opts: DatasetOptions = {}): ResolvedDataset {
  if (opts.format !== undefined && !Object.hasOwn(benchmarkMappers, opts.format)) {
    throw new UserError(`unknown dataset format '${opts.format}'; known: ${benchmarkNames.join(', ')}`);
  }
  if (Object.hasOwn(benchmarkMappers, dataset)) {
    return { name: dataset, path: join(opts.dataDir ?? defaultDataDir(), `${dataset}.jsonl`), mapper: benchmarkMappers[dataset] };
  }
  const looksLikePath = dataset.includes('/') || dataset.includes('\\') || extname(dataset) !== '';
  if (!looksLikePath && !existsSync(dataset)) {
    throw new UserError(`unknown dataset '${dataset}': not a benchmark name (${benchmarkNames.join(', ')}) nor a file`);
  }
  const name = basename(dataset, extname(dataset));
  const mapper = opts.format !== undefined ? benchmarkMappers[opts.format] : genericMapper(name, opts.fields ?? {});
  return { name, path: dataset, mapper };
}

export function genericMapper(name: string, fields: FieldMapping): RowMapper {
  const problemField = fields.problemField ?? 'problem';
  const answerField = fields.answerField ?? 'answer';
  return (r) => {
    const item: BenchmarkItem = {
      id: fields.idField !== undefined ? r.id(fields.idField) : `${name}/${r.row.index}`,
      problem: r.string(problemField),
      answer: r.text(answerField),
      meta: {},
    };
    if (fields.subjectField !== undefined) item.subject = r.text(fields.subjectField);
    if (fields.levelField !== undefined) {
      const level = r.get(fields.levelField);
      item.level = typeof level === 'number' ? level : r.text(fields.levelField);
    }
    return item;
  };
}

/** Streams a dataset's items in file order; ids must be unique. */
export async function* iterateDataset(dataset: string, opts: DatasetOptions = {}): AsyncGenerator<BenchmarkItem> {
  const { path, mapper } = resolveDataset(dataset, opts);
  const firstLineOfId = new Map<string, number>();
  for await (const row of readJsonl(path)) {
    const reader = new RowReader(row, path);
    const item = mapper(reader);
    const seen = firstLineOfId.get(item.id);
    if (seen !== undefined) reader.fail(`duplicate id '${item.id}' (first at line ${seen})`);
    firstLineOfId.set(item.id, row.line);
    yield item;
  }
}

export async function loadDataset(dataset: string, opts: DatasetOptions = {}): Promise<BenchmarkItem[]> {
  const items: BenchmarkItem[] = [];
  for await (const item of iterateDataset(dataset, opts)) items.push(item);
  return items;
}
