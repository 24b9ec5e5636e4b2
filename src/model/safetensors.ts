/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {..}}`,
 * then the raw little-endian tensor bytes (offsets relative to the end of the header).
 *
 * Reading converts float tensors to Float32Array (the on-disk dtype is kept in `dtype`) and reads
 * each tensor straight into its final array: F32 data needs no copy at all, F16/BF16 pass through
 * one scratch buffer the size of the largest such tensor. Integer tensors keep their width.
 */
import {
  closeSync,
  fstatSync,
  openSync,
  readSync,
} from 'node:fs';
import { endianness } from 'node:os';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { decodeBf16, decodeF16, encodeBf16, encodeF16 } from './halfFloat.ts';

export type FloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';
export type IntDtype = 'I64' | 'I32';
export type Dtype = FloatDtype | IntDtype;
/** What a float tensor can be written as. */
export type FloatWriteDtype = 'F32' | 'F16' | 'BF16';

export type TensorData = Float32Array | Int32Array | BigInt64Array;

export interface Tensor {
  /** Dtype on disk (for loaded tensors) or to write (for int tensors; floats take the writer's dtype). */
  dtype: Dtype;
  shape: number[];
  /** Float dtypes as Float32Array, I32 as Int32Array, I64 as BigInt64Array. */
  data: TensorData;
}

export interface LoadedTensor extends Tensor {
  /** The file the tensor was read from, for error messages. */
  file: string;
}

export interface HeaderEntry {
  dtype: Dtype;
  shape: number[];
  /** Byte offsets relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  /** Absolute file offset where the data section starts (8 + header length). */
  dataStart: number;
  entries: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
}

const BYTES_PER_ELEMENT: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
/** The reference implementation refuses headers over 100 MB; so do we (a corrupt length would otherwise allocate gigabytes). */
const MAX_HEADER_BYTES = 100_000_000;
/** fs.readSync/writeSync move at most 2 GiB per call. */
const IO_CHUNK = 1 << 30;

if (endianness() !== 'LE') throw new Error('safetensors IO assumes a little-endian machine');

export function isFloatDtype(dtype: Dtype): dtype is FloatDtype {
  return dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Reads and validates the header of a safetensors file without reading tensor data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openForReading(file);
  try {
    return readHeader(fd, file);
  } finally {
    closeSync(fd);
  }
}

/** Reads every tensor of one safetensors file. */
export function readSafetensors(file: string): {
  tensors: Map<string, LoadedTensor>;
  metadata: Record<string, string>;
} {
  const fd = openForReading(file);
  try {
    const header = readHeader(fd, file);
    return { tensors: readTensors(fd, header, [...header.entries.keys()]), metadata: header.metadata };
  } finally {
    closeSync(fd);
  }
}

function openForReading(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (err) {
    throw new UserError(`cannot open safetensors file ${file}: ${(err as Error).message}`);
  }
}

function readHeader(fd: number, file: string): SafetensorsHeader {
  const fileSize = fstatSync(fd).size;
  const fail = (what: string) => new UserError(`corrupt safetensors file ${file}: ${what}`);
  if (fileSize < 8) throw fail(`file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const lengthBytes = Buffer.alloc(8);
  readFully(fd, lengthBytes, 0);
  const headerLength = lengthBytes.readBigUInt64LE(0);
  if (headerLength > BigInt(fileSize - 8))
    throw fail(`header length ${headerLength} runs past the end of the file (${fileSize} bytes; truncated?)`);
  if (headerLength > BigInt(MAX_HEADER_BYTES))
    throw fail(`header length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes`);
  const headerBytes = Buffer.alloc(Number(headerLength));
  readFully(fd, headerBytes, 8);
  let json: unknown;
  try {
    json = JSON.parse(headerBytes.toString('utf8'));
  } catch (err) {
    throw fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw fail('header is not a JSON object');
  const dataStart = 8 + Number(headerLength);
  const dataLength = fileSize - dataStart;
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value, fail);
      continue;
    }
    entries.set(name, parseEntry(name, value, dataLength, fail));
  }
  const sorted = [...entries].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  for (let i = 1; i < sorted.length; i++) {
    const [prevName, prev] = sorted[i - 1];
    const [name, entry] = sorted[i];
    if (entry.begin < prev.end)
      throw fail(
        `tensor '${name}' bytes [${entry.begin}, ${entry.end}) overlap tensor '${prevName}' [${prev.begin}, ${prev.end})`,
      );
  }
  return { file, dataStart, entries, metadata };
}

function parseMetadata(value: unknown, fail: (what: string) => UserError): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('__metadata__ is not an object');
  for (const [key, v] of Object.entries(value))
    if (typeof v !== 'string') throw fail(`__metadata__.${key} is not a string`);
  return value as Record<string, string>;
}

function parseEntry(
  name: string,
  value: unknown,
  dataLength: number,
  fail: (what: string) => UserError,
): HeaderEntry {
  if (typeof value !== 'object' || value === null)
    throw fail(`tensor '${name}' header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT))
    throw fail(
      `tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')})`,
    );
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw fail(`tensor '${name}' has invalid shape ${JSON.stringify(shape)}`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  )
    throw fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as number[];
  if (begin > end || end > dataLength)
    throw fail(
      `tensor '${name}' data_offsets [${begin}, ${end}] are out of range (data section is ${dataLength} bytes; truncated?)`,
    );
  const expected = elementCount(shape) * BYTES_PER_ELEMENT[dtype as Dtype];
  if (end - begin !== expected)
    throw fail(
      `tensor '${name}' is ${dtype} ${JSON.stringify(shape)} = ${expected} bytes, but its data_offsets span ${end - begin} bytes`,
    );
  return { dtype: dtype as Dtype, shape: shape as number[], begin, end };
}

/** Reads the named tensors (which must be in the header) in file order. */
export function readTensors(
  fd: number,
  header: SafetensorsHeader,
  names: string[],
): Map<string, LoadedTensor> {
  const wanted = names.map((name) => {
    const entry = header.entries.get(name);
    if (!entry) throw new UserError(`safetensors file ${header.file} has no tensor '${name}'`);
    return [name, entry] as const;
  });
  wanted.sort((a, b) => a[1].begin - b[1].begin);
  const scratchBytes = Math.max(
    0,
    ...wanted
      .filter(([, e]) => e.dtype === 'F16' || e.dtype === 'BF16' || e.dtype === 'F64')
      .map(([, e]) => e.end - e.begin),
  );
  const scratch = new Uint8Array(scratchBytes);
  const result = new Map<string, LoadedTensor>();
  for (const [name, entry] of wanted) {
    const position = header.dataStart + entry.begin;
    const bytes = entry.end - entry.begin;
    const n = elementCount(entry.shape);
    let data: TensorData;
    if (entry.dtype === 'F32' || entry.dtype === 'I32' || entry.dtype === 'I64') {
      data =
        entry.dtype === 'F32'
          ? new Float32Array(n)
          : entry.dtype === 'I32'
            ? new Int32Array(n)
            : new BigInt64Array(n);
      readFully(fd, new Uint8Array(data.buffer, 0, bytes), position);
    } else {
      const raw = scratch.subarray(0, bytes);
      readFully(fd, raw, position);
      const out = new Float32Array(n);
      // scratch starts at offset 0 of its own ArrayBuffer, so these views are aligned.
      if (entry.dtype === 'F64') out.set(new Float64Array(raw.buffer, 0, n));
      else if (entry.dtype === 'F16') decodeF16(new Uint16Array(raw.buffer, 0, n), out);
      else decodeBf16(new Uint16Array(raw.buffer, 0, n), out);
      data = out;
    }
    result.set(name, { dtype: entry.dtype, shape: entry.shape, data, file: header.file });
  }
  return result;
}

function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, Math.min(IO_CHUNK, target.length - done), position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

export interface WriteOptions {
  /** Dtype for float tensors (default F32). Integer tensors are written as their own dtype. */
  dtype?: FloatWriteDtype;
  /** String metadata; `format: "pt"` is added unless given, since transformers refuses files without it. */
  metadata?: Record<string, string>;
}

/** Bytes a tensor takes on disk when written with `floatDtype`. */
export function storedBytes(tensor: Tensor, floatDtype: FloatWriteDtype): number {
  return elementCount(tensor.shape) * BYTES_PER_ELEMENT[storedDtype(tensor, floatDtype)];
}

function storedDtype(tensor: Tensor, floatDtype: FloatWriteDtype): Dtype {
  return isFloatDtype(tensor.dtype) ? floatDtype : tensor.dtype;
}

/**
 * Writes tensors to `file` under a temporary name (fsynced, then renamed into place), one tensor at a
 * time so that converting to F16/BF16 never holds more than one converted tensor. Tensors are laid
 * out by decreasing element size, then name, as the reference implementation does, so every tensor
 * starts aligned to its element size.
 */
export function writeSafetensors(
  file: string,
  tensors: Map<string, Tensor>,
  options: WriteOptions = {},
): void {
  const floatDtype = options.dtype ?? 'F32';
  const order = [...tensors].map(([name, tensor]) => {
    checkTensor(file, name, tensor);
    return { name, tensor, dtype: storedDtype(tensor, floatDtype) };
  });
  order.sort(
    (a, b) =>
      BYTES_PER_ELEMENT[b.dtype] - BYTES_PER_ELEMENT[a.dtype] ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...options.metadata } };
  let offset = 0;
  for (const { name, tensor, dtype } of order) {
    const bytes = elementCount(tensor.shape) * BYTES_PER_ELEMENT[dtype];
    header[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.length));

  writeFileAtomic(file, safetensorsChunks(lengthBytes, headerBytes, order));
}

function* safetensorsChunks(lengthBytes: Uint8Array, headerBytes: Uint8Array, order: Array<{ tensor: Tensor; dtype: Dtype }>): Generator<Uint8Array> {
  yield lengthBytes;
  yield headerBytes;
  for (const { tensor, dtype } of order) yield tensorBytes(tensor, dtype);
}

function checkTensor(file: string, name: string, tensor: Tensor): void {
  const n = elementCount(tensor.shape);
  if (tensor.data.length !== n)
    throw new Error(
      `writing ${file}: tensor '${name}' has shape ${JSON.stringify(tensor.shape)} (${n} elements) but ${tensor.data.length} values`,
    );
  const expected = isFloatDtype(tensor.dtype)
    ? Float32Array
    : tensor.dtype === 'I32'
      ? Int32Array
      : BigInt64Array;
  if (!(tensor.data instanceof expected))
    throw new Error(
      `writing ${file}: tensor '${name}' is ${tensor.dtype} but its data is a ${tensor.data.constructor.name}`,
    );
}

function tensorBytes(tensor: Tensor, dtype: Dtype): Uint8Array {
  const { data } = tensor;
  if (dtype === 'F16' || dtype === 'BF16') {
    const out = new Uint16Array(data.length);
    (dtype === 'F16' ? encodeF16 : encodeBf16)(data as Float32Array, out);
    return new Uint8Array(out.buffer);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

