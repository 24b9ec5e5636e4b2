/**
 * A model directory's weights as Hugging Face lays them out: either one `model.safetensors`, or
 * shards `model-0000i-of-0000n.safetensors` listed in `model.safetensors.index.json`
 * (`{"metadata": {"total_size": bytes}, "weight_map": {tensor name: shard file name}}`).
 * Like transformers, a single `model.safetensors` takes precedence over an index.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import {
  type Dtype,
  type FloatWriteDtype,
  type LoadedTensor,
  type SafetensorsHeader,
  type Tensor,
  readSafetensorsHeader,
  readTensors,
  storedBytes,
  writeSafetensors,
} from './safetensors.ts';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface ShardIndex {
  metadata: { total_size: number };
  weight_map: Record<string, string>;
}

/** A tensor as described by a file header: enough to validate a checkpoint before reading any data. */
export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
  file: string;
}

/** The headers of the checkpoint in `dir`: which tensors it has, where, with which dtype and shape. */
export function readCheckpointInfo(dir: string): Map<string, TensorInfo> {
  const infos = new Map<string, TensorInfo>();
  for (const { header, names } of planCheckpoint(dir))
    for (const name of names) {
      const { dtype, shape } = header.entries.get(name)!;
      infos.set(name, { dtype, shape, file: header.file });
    }
  return infos;
}

/** Loads the tensors of the checkpoint in `dir` (all, or those in `only`). Each records the file it came from. */
export function loadCheckpoint(dir: string, only?: ReadonlySet<string>): Map<string, LoadedTensor> {
  const tensors = new Map<string, LoadedTensor>();
  forEachTensor(dir, only, (name, tensor) => tensors.set(name, tensor));
  return tensors;
}

/**
 * Reads the checkpoint's tensors one at a time and hands each to `use`, so a caller that copies
 * them elsewhere (e.g. into one flat parameter buffer) never holds more than one extra tensor.
 */
export function forEachTensor(dir: string, only: ReadonlySet<string> | undefined, use: (name: string, tensor: LoadedTensor) => void): void {
  for (const { header, names } of planCheckpoint(dir)) {
    const wanted = only ? names.filter((name) => only.has(name)) : names;
    if (wanted.length === 0) continue;
    const fd = openSync(header.file, 'r');
    try {
      for (const name of wanted) for (const [n, tensor] of readTensors(fd, header, [name])) use(n, tensor);
    } finally {
      closeSync(fd);
    }
  }
}

/** Each file of the checkpoint with its validated header and the tensor names to take from it. */
function planCheckpoint(dir: string): Array<{ header: SafetensorsHeader; names: string[] }> {
  const single = join(dir, SINGLE_FILE);
  if (existsSync(single)) {
    const header = readSafetensorsHeader(single);
    return [{ header, names: [...header.entries.keys()] }];
  }
  const indexPath = join(dir, INDEX_FILE);
  if (!existsSync(indexPath)) throw new UserError(`no ${SINGLE_FILE} or ${INDEX_FILE} in ${dir}`);
  const namesByShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(readIndex(indexPath))) {
    const names = namesByShard.get(shard) ?? [];
    names.push(name);
    namesByShard.set(shard, names);
  }
  return [...namesByShard].map(([shard, names]) => {
    const file = join(dir, shard);
    if (!existsSync(file))
      throw new UserError(
        `${indexPath} lists shard ${shard} (for '${names[0]}'), but ${file} does not exist`,
      );
    const header = readSafetensorsHeader(file);
    for (const name of names)
      if (!header.entries.has(name))
        throw new UserError(`tensor '${name}' is missing from ${file} (listed there by ${indexPath})`);
    return { header, names };
  });
}

function readIndex(indexPath: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read ${indexPath}: ${(err as Error).message}`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap))
    throw new UserError(`${indexPath} has no "weight_map" object`);
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard !== basename(shard) || !shard.endsWith('.safetensors'))
      throw new UserError(
        `${indexPath}: weight_map['${name}'] = ${JSON.stringify(shard)} is not a .safetensors file name in the same directory`,
      );
  }
  return weightMap as Record<string, string>;
}

export interface SaveOptions {
  /** Dtype for float tensors (default F32). */
  dtype?: FloatWriteDtype;
  /** Largest shard in bytes (default 5 GB, as transformers' save_pretrained); a checkpoint that fits is one file. */
  maxShardBytes?: number;
}

/**
 * Writes a checkpoint into `dir`, each file atomically. Tensors are assigned to shards in the given
 * order (a tensor bigger than the limit gets a shard of its own). A stale checkpoint of the other
 * layout is removed so that loaders do not pick up old weights.
 */
export function saveCheckpoint(dir: string, tensors: Map<string, Tensor>, options: SaveOptions = {}): void {
  const dtype = options.dtype ?? 'F32';
  const maxShardBytes = options.maxShardBytes ?? 5e9;
  const shards: Array<Map<string, Tensor>> = [];
  let current = new Map<string, Tensor>();
  let currentBytes = 0;
  let totalSize = 0;
  for (const [name, tensor] of tensors) {
    const bytes = storedBytes(tensor, dtype);
    if (current.size > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = new Map();
      currentBytes = 0;
    }
    current.set(name, tensor);
    currentBytes += bytes;
    totalSize += bytes;
  }
  shards.push(current);

  const staleIndex = readStaleIndexShards(dir);
  if (shards.length === 1) {
    writeSafetensors(join(dir, SINGLE_FILE), shards[0], { dtype });
    rmSync(join(dir, INDEX_FILE), { force: true });
    for (const shard of staleIndex) rmSync(join(dir, shard), { force: true });
    return;
  }
  const weightMap: Record<string, string> = {};
  const pad = (i: number) => String(i).padStart(5, '0');
  const shardNames = shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`);
  shards.forEach((shard, i) => {
    writeSafetensors(join(dir, shardNames[i]), shard, { dtype });
    for (const name of shard.keys()) weightMap[name] = shardNames[i];
  });
  const index: ShardIndex = { metadata: { total_size: totalSize }, weight_map: weightMap };
  writeFileAtomic(join(dir, INDEX_FILE), JSON.stringify(index, null, 2) + '\n');
  rmSync(join(dir, SINGLE_FILE), { force: true });
  for (const shard of staleIndex) if (!shardNames.includes(shard)) rmSync(join(dir, shard), { force: true });
}

/** Shard file names listed by an existing index in `dir` (none if there is no readable index). */
function readStaleIndexShards(dir: string): string[] {
  const indexPath = join(dir, INDEX_FILE);
  if (!existsSync(indexPath)) return [];
  try {
    return [...new Set(Object.values(readIndex(indexPath)))];
  } catch {
    return [];
  }
}
