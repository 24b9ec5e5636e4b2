import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  INDEX_FILE,
  SINGLE_FILE,
  loadCheckpoint,
  readCheckpointInfo,
  saveCheckpoint,
} from '../../src/model/checkpoint.ts';
import { f32BitsToBf16Bits, f32BitsToF16Bits } from '../../src/model/halfFloat.ts';
import { type Tensor, readSafetensors, writeSafetensors } from '../../src/model/safetensors.ts';
import { UserError } from '../../src/util/errors.ts';

const fixtures = 'tests/fixtures/model';
const dir = mkdtempSync(join(tmpdir(), 'rlvr-safetensors-'));

function f32Bits(value: number): number {
  return new Uint32Array(new Float32Array([value]).buffer)[0];
}

function bits(data: Float32Array): Uint32Array {
  return new Uint32Array(data.buffer, data.byteOffset, data.length);
}

test('F16 and BF16 encoding matches hand-computed bit patterns (round to nearest even)', () => {
  const f16: Array<[number, number]> = [
    [1, 0x3c00],
    [-2.5, 0xc100],
    [1 / 3, 0x3555],
    [65504, 0x7bff], // largest finite half
    [65520, 0x7c00], // halfway between 65504 and 65536: ties to even -> overflow to +inf
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // exactly half the smallest subnormal: ties to even -> 0
    [3 * 2 ** -26, 0x0001], // 0.75 of the smallest subnormal rounds up
    [-0, 0x8000],
    [Infinity, 0x7c00],
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: even mantissa (1.0)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway between 0x3c01 and 0x3c02: even is 0x3c02
  ];
  for (const [value, expected] of f16)
    assert.equal(f32BitsToF16Bits(f32Bits(value)), expected, `F16 of ${value}`);
  const bf16: Array<[number, number]> = [
    [1, 0x3f80],
    [-2.5, 0xc020],
    [1 / 3, 0x3eab], // float32 0x3eaaaaab: low half 0xaaab > 0x8000 rounds up
    [1.00390625, 0x3f80], // 1 + 2^-8: tie between 0x3f80 and 0x3f81 -> even 0x3f80
    [1.01171875, 0x3f82], // 1 + 3 * 2^-8: tie between 0x3f81 and 0x3f82 -> even 0x3f82
    [-Infinity, 0xff80],
  ];
  for (const [value, expected] of bf16)
    assert.equal(f32BitsToBf16Bits(f32Bits(value)), expected, `BF16 of ${value}`);
  assert.equal(f32BitsToBf16Bits(f32Bits(NaN)) & 0x7fc0, 0x7fc0, 'NaN stays a quiet NaN');
});

test('F16/BF16/F64/I64/I32 tensors written by PyTorch load with exactly the values PyTorch decodes', () => {
  const { tensors } = readSafetensors(join(fixtures, 'dtypes.safetensors'));
  const get = (name: string) => tensors.get(name)!;
  assert.equal(get('f16').dtype, 'F16');
  assert.equal(get('bf16').dtype, 'BF16');
  assert.deepEqual(get('f16').shape, get('f32').shape);
  assert.deepEqual(bits(get('f16').data as Float32Array), bits(get('f16_as_f32').data as Float32Array));
  assert.deepEqual(bits(get('bf16').data as Float32Array), bits(get('bf16_as_f32').data as Float32Array));
  assert.deepEqual(bits(get('f64').data as Float32Array), bits(get('f32').data as Float32Array));
  const leading = Array.from((get('f32').data as Float32Array).slice(0, 6));
  assert.deepEqual(leading, [0, -0, 1, -2.5, Math.fround(1 / 3), 65504]);
  assert.deepEqual(get('i64').shape, [2, 3]);
  assert.deepEqual(Array.from(get('i64').data as BigInt64Array), [
    0n,
    1n,
    -1n,
    2n ** 40n,
    -(2n ** 40n),
    151643n,
  ]);
  assert.deepEqual(Array.from(get('i32').data as Int32Array), [0, 1, -1, 2 ** 31 - 1]);
});

test('writing F16/BF16 rounds exactly as PyTorch does', () => {
  const { tensors } = readSafetensors(join(fixtures, 'dtypes.safetensors'));
  const source = new Map([['x', tensors.get('f32')!]]);
  for (const [dtype, reference] of [
    ['F16', 'f16_as_f32'],
    ['BF16', 'bf16_as_f32'],
  ] as const) {
    const file = join(dir, `x-${dtype}.safetensors`);
    writeSafetensors(file, source, { dtype });
    const back = readSafetensors(file).tensors.get('x')!;
    assert.equal(back.dtype, dtype);
    assert.deepEqual(
      bits(back.data as Float32Array),
      bits(tensors.get(reference)!.data as Float32Array),
      dtype,
    );
  }
});

test('load -> save -> load is identical, and re-saving a PyTorch-written file reproduces it byte for byte', () => {
  for (const original of [
    join(fixtures, 'qwen2-tiny', 'model.safetensors'),
    join(fixtures, 'qwen2-tiny', 'golden.safetensors'),
  ]) {
    const first = readSafetensors(original);
    const copy = join(dir, 'copy.safetensors');
    writeSafetensors(copy, first.tensors);
    const second = readSafetensors(copy);
    assert.deepEqual([...second.tensors.keys()].sort(), [...first.tensors.keys()].sort());
    for (const [name, tensor] of first.tensors) {
      const again = second.tensors.get(name)!;
      assert.equal(again.dtype, tensor.dtype);
      assert.deepEqual(again.shape, tensor.shape);
      assert.deepEqual(again.data, tensor.data, name);
    }
    assert.deepEqual(second.metadata, { format: 'pt' });
    assert.ok(readFileSync(copy).equals(readFileSync(original)), original);
  }
});

test('sharded checkpoints: split by size, indexed, loaded back; switching layout removes stale files', () => {
  const { tensors } = readSafetensors(join(fixtures, 'llama-tiny', 'model.safetensors'));
  const out = join(dir, 'sharded');
  saveCheckpoint(out, tensors, { maxShardBytes: 30_000 });
  const index = JSON.parse(readFileSync(join(out, INDEX_FILE), 'utf8'));
  const shards = [...new Set(Object.values(index.weight_map) as string[])].sort();
  assert.ok(shards.length >= 2, `expected several shards, got ${shards.join(', ')}`);
  assert.equal(shards[0], `model-00001-of-${String(shards.length).padStart(5, '0')}.safetensors`);
  const totalBytes = [...tensors.values()].reduce((sum, t) => sum + t.data.length * 4, 0);
  assert.equal(index.metadata.total_size, totalBytes);
  assert.equal(existsSync(join(out, SINGLE_FILE)), false);
  const loaded = loadCheckpoint(out);
  assert.equal(loaded.size, tensors.size);
  for (const [name, tensor] of tensors) {
    assert.deepEqual(bits(loaded.get(name)!.data as Float32Array), bits(tensor.data as Float32Array), name);
    assert.equal(loaded.get(name)!.file, join(out, index.weight_map[name]));
  }
  assert.equal(readCheckpointInfo(out).get('model.norm.weight')!.dtype, 'F32');

  saveCheckpoint(out, tensors, { dtype: 'BF16' });
  assert.equal(existsSync(join(out, INDEX_FILE)), false);
  for (const shard of shards) assert.equal(existsSync(join(out, shard)), false, `stale ${shard}`);
  assert.equal(loadCheckpoint(out).get('model.norm.weight')!.dtype, 'BF16');
});

/** Builds a safetensors file from a header object and a data section of `dataBytes` bytes. */
function rawFile(name: string, header: unknown, dataBytes: number, headerLengthOverride?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(headerLengthOverride ?? BigInt(json.length));
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([length, json, Buffer.alloc(dataBytes)]));
  return file;
}

function assertUserError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    for (const fragment of fragments)
      assert.ok(err.message.includes(fragment), `'${err.message}' should mention '${fragment}'`);
    return true;
  });
}

const goodEntry = { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] };

test('corrupt files: each problem is a UserError naming the file (and the tensor where there is one)', () => {
  const short = join(dir, 'short.safetensors');
  writeFileSync(short, Buffer.alloc(5));
  assertUserError(() => readSafetensors(short), short, 'shorter than the 8-byte header length');

  const pastEnd = rawFile('past-end.safetensors', { w: goodEntry }, 24, 10_000n);
  assertUserError(() => readSafetensors(pastEnd), pastEnd, 'header length 10000 runs past the end');

  const badJson = join(dir, 'bad-json.safetensors');
  const text = Buffer.from('{"w": {"dtype": "F32",');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  writeFileSync(badJson, Buffer.concat([length, text]));
  assertUserError(() => readSafetensors(badJson), badJson, 'not valid JSON');

  const truncated = rawFile('truncated.safetensors', { w: goodEntry }, 20);
  assertUserError(() => readSafetensors(truncated), truncated, "tensor 'w'", 'out of range');

  const overlap = rawFile(
    'overlap.safetensors',
    { a: goodEntry, b: { dtype: 'F32', shape: [3], data_offsets: [12, 24] } },
    24,
  );
  assertUserError(() => readSafetensors(overlap), overlap, "tensor 'b'", "overlap tensor 'a'");

  const mismatch = rawFile(
    'mismatch.safetensors',
    { w: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 24] } },
    24,
  );
  assertUserError(
    () => readSafetensors(mismatch),
    mismatch,
    "tensor 'w'",
    'BF16 [2,3] = 12 bytes',
    'span 24 bytes',
  );

  const dtype = rawFile(
    'dtype.safetensors',
    { w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } },
    4,
  );
  assertUserError(() => readSafetensors(dtype), dtype, "tensor 'w'", 'unsupported dtype "F8_E4M3"');

  const shape = rawFile('shape.safetensors', { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4);
  assertUserError(() => readSafetensors(shape), shape, "tensor 'w'", 'invalid shape');
});

test('sharded index problems: a tensor missing from its shard, a missing shard file, a bad file name', () => {
  const tensors = new Map<string, Tensor>([
    ['a', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }],
    ['b', { dtype: 'F32', shape: [2], data: new Float32Array([3, 4]) }],
  ]);
  const out = join(dir, 'bad-index');
  saveCheckpoint(out, tensors, { maxShardBytes: 8 });
  const indexPath = join(out, INDEX_FILE);
  const index = JSON.parse(readFileSync(indexPath, 'utf8'));

  writeFileSync(
    indexPath,
    JSON.stringify({ ...index, weight_map: { ...index.weight_map, c: index.weight_map.a } }),
  );
  assertUserError(() => loadCheckpoint(out), "tensor 'c' is missing from", join(out, index.weight_map.a));

  writeFileSync(
    indexPath,
    JSON.stringify({ ...index, weight_map: { ...index.weight_map, b: 'model-00009-of-00009.safetensors' } }),
  );
  assertUserError(() => loadCheckpoint(out), 'model-00009-of-00009.safetensors', "'b'", 'does not exist');

  writeFileSync(indexPath, JSON.stringify({ ...index, weight_map: { a: '../elsewhere.safetensors' } }));
  assertUserError(() => loadCheckpoint(out), indexPath, "weight_map['a']");

  writeFileSync(indexPath, '{"weight_map": ');
  assertUserError(() => loadCheckpoint(out), indexPath);
});
