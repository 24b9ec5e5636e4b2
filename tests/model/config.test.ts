import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TensorInfo, readCheckpointInfo, saveCheckpoint } from '../../src/model/checkpoint.ts';
import {
  parameterShapes,
  parseModelConfig,
  readModelConfig,
  validateCheckpoint,
} from '../../src/model/config.ts';
import { loadModelDir } from '../../src/model/modelDir.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { UserError } from '../../src/util/errors.ts';

const fixtures = 'tests/fixtures/model';
const dir = mkdtempSync(join(tmpdir(), 'rlvr-config-'));
const qwenJson = JSON.parse(readFileSync(join(fixtures, 'qwen2-tiny', 'config.json'), 'utf8'));

function assertUserError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    for (const fragment of fragments)
      assert.ok(err.message.includes(fragment), `'${err.message}' should mention '${fragment}'`);
    return true;
  });
}

test('fixture configs parse with transformers defaults and semantics', () => {
  const qwen = readModelConfig(join(fixtures, 'qwen2-tiny', 'config.json'));
  assert.deepEqual(
    [
      qwen.modelType,
      qwen.numHeads,
      qwen.numKvHeads,
      qwen.headDim,
      qwen.qkvBias,
      qwen.oBias,
      qwen.tieWordEmbeddings,
      qwen.ropeTheta,
    ],
    ['qwen2', 4, 2, 8, true, false, false, 1e6],
  );
  const llama = readModelConfig(join(fixtures, 'llama-tiny', 'config.json'));
  assert.deepEqual(
    [
      llama.modelType,
      llama.numKvHeads,
      llama.qkvBias,
      llama.oBias,
      llama.tieWordEmbeddings,
      llama.rmsNormEps,
    ],
    ['llama', 1, false, false, true, 1e-5],
  );
  assert.deepEqual(llama.eosTokenIds, [2]);

  const minimal = parseModelConfig(
    {
      model_type: 'llama',
      vocab_size: 10,
      hidden_size: 8,
      intermediate_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      rms_norm_eps: 1e-5,
      attention_bias: true,
      eos_token_id: [5, 6],
    },
    'minimal',
  );
  assert.equal(minimal.numKvHeads, 2, 'num_key_value_heads defaults to num_attention_heads');
  assert.equal(minimal.ropeTheta, 10000);
  assert.equal(minimal.tieWordEmbeddings, false);
  assert.equal(minimal.qkvBias && minimal.oBias, true, 'llama attention_bias covers q, k, v and o');
  assert.deepEqual(minimal.eosTokenIds, [5, 6]);
});

test('parameter names and shapes match the checkpoints written by the PyTorch reference', () => {
  for (const model of ['qwen2-tiny', 'llama-tiny']) {
    const config = readModelConfig(join(fixtures, model, 'config.json'));
    const { tensors } = readSafetensors(join(fixtures, model, 'model.safetensors'));
    const expected = parameterShapes(config);
    assert.deepEqual([...expected.keys()].sort(), [...tensors.keys()].sort(), model);
    for (const [name, shape] of expected)
      assert.deepEqual(tensors.get(name)!.shape, shape, `${model} ${name}`);
  }
  const qwen = parameterShapes(readModelConfig(join(fixtures, 'qwen2-tiny', 'config.json')));
  assert.deepEqual(
    qwen.get('model.layers.1.self_attn.k_proj.weight'),
    [16, 32],
    'Linear weights are [out, in]; 2 kv heads x 8',
  );
  assert.deepEqual(qwen.get('model.layers.0.mlp.down_proj.weight'), [32, 64]);
});

test('unsupported configs are UserErrors naming the file, the field and what is supported', () => {
  const cases: Array<[Record<string, unknown>, string[]]> = [
    [{ model_type: 'mistral' }, ['model_type "mistral" is not supported', 'qwen2 or llama']],
    [{ hidden_act: 'gelu' }, ['hidden_act "gelu" is not supported']],
    [{ rope_scaling: { rope_type: 'llama3', factor: 8 } }, ['rope_scaling', 'only null']],
    [{ use_sliding_window: true }, ['use_sliding_window']],
    [{ num_key_value_heads: 3 }, ['num_key_value_heads 3 must divide num_attention_heads 4']],
    [{ hidden_size: 30 }, ['hidden_size 30 is not divisible by num_attention_heads 4']],
    [{ vocab_size: undefined }, ['vocab_size is missing']],
    [{ num_hidden_layers: 1.5 }, ['num_hidden_layers must be a positive integer, got 1.5']],
    [{ rms_norm_eps: 0 }, ['rms_norm_eps must be a positive number']],
    [{ tie_word_embeddings: 'yes' }, ['tie_word_embeddings must be true or false']],
    [{ quantization_config: { quant_method: 'gptq' } }, ['quantization_config']],
  ];
  for (const [override, fragments] of cases)
    assertUserError(
      () => parseModelConfig({ ...qwenJson, ...override }, 'my/config.json'),
      'my/config.json',
      ...fragments,
    );
  const bad = join(dir, 'config.json');
  writeFileSync(bad, '{"model_type": ');
  assertUserError(() => readModelConfig(bad), bad);
});

test('checkpoint validation lists every missing, unexpected, mis-shaped or non-float tensor with its file', () => {
  const config = readModelConfig(join(fixtures, 'qwen2-tiny', 'config.json'));
  const infos = readCheckpointInfo(join(fixtures, 'qwen2-tiny'));
  const file = infos.get('model.norm.weight')!.file;
  assert.deepEqual(validateCheckpoint(config, infos, 'qwen2-tiny'), []);

  const broken = new Map<string, TensorInfo>(infos);
  broken.delete('model.layers.1.mlp.up_proj.weight');
  broken.set('model.layers.0.self_attn.q_proj.weight', {
    ...infos.get('model.layers.0.self_attn.q_proj.weight')!,
    shape: [32, 16],
  });
  broken.set('model.layers.0.self_attn.q_proj.bias', {
    ...infos.get('model.layers.0.self_attn.q_proj.bias')!,
    dtype: 'I64',
  });
  broken.set('model.layers.2.mlp.up_proj.weight', { dtype: 'F32', shape: [64, 32], file });
  assertUserError(
    () => validateCheckpoint(config, broken, 'ckpt-dir'),
    'checkpoint ckpt-dir does not match its config',
    "missing tensor 'model.layers.1.mlp.up_proj.weight' (expected shape [64,32])",
    `${file}: tensor 'model.layers.0.self_attn.q_proj.weight' has shape [32,16], expected [32,32]`,
    `${file}: tensor 'model.layers.0.self_attn.q_proj.bias' has dtype I64`,
    `${file}: unexpected tensor 'model.layers.2.mlp.up_proj.weight'`,
  );
});

test('a tied model ignores a redundant lm_head.weight and old rotary buffers, as transformers does', () => {
  const config = readModelConfig(join(fixtures, 'llama-tiny', 'config.json'));
  const infos = readCheckpointInfo(join(fixtures, 'llama-tiny'));
  const withExtras = new Map(infos);
  withExtras.set('lm_head.weight', { dtype: 'F32', shape: [64, 32], file: 'x' });
  withExtras.set('model.layers.0.self_attn.rotary_emb.inv_freq', { dtype: 'F32', shape: [4], file: 'x' });
  assert.deepEqual(validateCheckpoint(config, withExtras, 'llama').sort(), [
    'lm_head.weight',
    'model.layers.0.self_attn.rotary_emb.inv_freq',
  ]);
});

test('loadModelDir validates headers before reading data and returns exactly the parameters', () => {
  const loaded = loadModelDir(join(fixtures, 'qwen2-tiny'));
  assert.equal(loaded.tensors.size, parameterShapes(loaded.config).size);

  const tied = join(dir, 'tied');
  cpSync(join(fixtures, 'llama-tiny'), tied, { recursive: true });
  const tensors = readSafetensors(join(tied, 'model.safetensors')).tensors;
  tensors.set('lm_head.weight', tensors.get('model.embed_tokens.weight')!);
  saveCheckpoint(tied, tensors);
  assert.equal(loadModelDir(tied).tensors.has('lm_head.weight'), false);

  const wrong = join(dir, 'wrong');
  cpSync(join(fixtures, 'qwen2-tiny'), wrong, { recursive: true });
  writeFileSync(join(wrong, 'config.json'), JSON.stringify({ ...qwenJson, num_hidden_layers: 3 }));
  assertUserError(() => loadModelDir(wrong), "missing tensor 'model.layers.2.self_attn.q_proj.weight'");
});
