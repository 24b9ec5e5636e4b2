/**
 * The traced transformer against the PyTorch mirror of transformers (scripts/torch_reference/model_reference.py),
 * whose goldens are computed in float64. Run in float64, the engine must agree to the goldens' own
 * float32 storage precision (1e-6): that proves the math. Run in float32, logits and loss agree
 * within 1e-4; gradients within 2e-4, because the embedding gradient's small entries (sums of many
 * scattered rows) carry ~1.1e-4 float32 rounding relative to 1% of the tensor's largest entry.
 */
import { test } from 'node:test';
import { loadCheckpoint } from '../../src/model/checkpoint.ts';
import { readModelConfig } from '../../src/model/config.ts';
import { readSafetensors } from '../../src/model/safetensors.ts';
import { attentionBias, traceTransformer } from '../../src/model/transformer.ts';
import * as T from '../../src/tensor/index.ts';
import { assertClose } from '../helpers/compare.ts';

const cases = [
  { dtype: 'float64', valueTol: 1e-6, gradTol: 1e-6 },
  { dtype: 'float32', valueTol: 1e-4, gradTol: 2e-4 },
] as const;

for (const name of ['qwen2-tiny', 'llama-tiny']) for (const { dtype, valueTol, gradTol } of cases) {
  const array = (x: ArrayLike<number>) => (dtype === 'float64' ? Float64Array.from(x) : Float32Array.from(x));
  test(`${name} in ${dtype}: logits, next-token loss and every parameter gradient match PyTorch (${valueTol} / ${gradTol})`, async () => {
    const dir = new URL(`../fixtures/model/${name}/`, import.meta.url).pathname;
    const config = readModelConfig(`${dir}config.json`);
    const weights = loadCheckpoint(dir);
    const golden = readSafetensors(`${dir}golden.safetensors`).tensors;
    const ids = golden.get('in.input_ids')!.data as BigInt64Array;
    const mask = golden.get('in.attention_mask')!.data as BigInt64Array;
    const [b, t] = golden.get('in.input_ids')!.shape;

    const g = new T.Graph();
    const params = new Map([...weights].map(([n, w]) => [n, g.input(n, dtype, w.shape)]));
    const inputIds = g.input('input_ids', 'int64', [b, t]);
    const positions = g.input('positions', 'int64', [b, t]);
    const bias = g.input('attn_bias', dtype, [b, 1, 1, t, t]);
    const targets = g.input('targets', 'int64', [b, t]);
    const weight = g.input('loss_weight', dtype, [b, t]);
    const { logits } = traceTransformer(config, (n) => params.get(n)!, { inputIds, positions, attnBias: bias });
    const lp = T.targetLogprobs(logits, targets);
    const loss = T.div(T.neg(T.reduceSum(T.mul(lp, weight))), T.reduceSum(weight));
    const names = [...params.keys()];
    const grads = T.grad(loss, names.map((n) => params.get(n)!));
    const run = await T.compile(g, { logits, loss, ...Object.fromEntries(names.map((n, i) => [`grad.${n}`, grads[i]])) });

    const rows = Array.from({ length: b }, (_, i) => Array.from(mask.subarray(i * t, (i + 1) * t), Number));
    const tgt = new BigInt64Array(b * t);
    const w = new Float32Array(b * t);
    for (let i = 0; i < b; i++) {
      for (let j = 0; j + 1 < t; j++) {
        tgt[i * t + j] = ids[i * t + j + 1];
        w[i * t + j] = rows[i][j] && rows[i][j + 1] ? 1 : 0;
      }
    }
    const r = await run.run({
      ...Object.fromEntries([...weights].map(([n, wt]) => [n, array(wt.data as Float32Array)])),
      input_ids: ids,
      positions: golden.get('in.position_ids')!.data as BigInt64Array,
      attn_bias: array(attentionBias(rows, t)),
      targets: tgt,
      loss_weight: array(w),
    });
    // compare logits only where the query is a real token (pad queries are unspecified)
    const v = config.vocabSize;
    const expected = golden.get('out.logits')!.data as Float32Array;
    const keep = (arr: ArrayLike<number>) => Array.from(arr).filter((_, k) => rows[Math.floor(k / (t * v))][Math.floor(k / v) % t] === 1);
    assertClose(keep(r.logits as Float64Array), keep(expected), valueTol, 'logits');
    assertClose(r.loss as Float64Array, golden.get('out.loss')!.data as Float32Array, valueTol, 'loss');
    for (const n of names) assertClose(r[`grad.${n}`] as Float64Array, golden.get(`grad.${n}`)!.data as Float32Array, gradTol, `grad ${n}`);
  });
}
