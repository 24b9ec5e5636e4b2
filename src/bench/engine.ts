/**
 * `rlvr bench engine`: forward and full training step (forward + backward + AdamW) of the standard
 * tiny Qwen2-style model (vocab 512, d 256, 4 layers, 4 heads, SwiGLU 688, batch 16 × 128, fp32),
 * the engine's own 1024³ matmul rate as the machine ceiling, and PyTorch's numbers for the same
 * model and step in the same run.
 */
import { type ModelConfig, parseModelConfig } from '../model/config.ts';
import { initParameters } from '../model/init.ts';
import { attentionBias, traceTransformer } from '../model/transformer.ts';
import { Rng } from '../util/rng.ts';
import * as T from '../tensor/index.ts';
import { defaultThreads } from '../tensor/index.ts';
import { medianMs, numericArgs } from './timing.ts';
import { torchReference } from './torch-reference.ts';

export const STANDARD_TINY = {
  model_type: 'qwen2',
  vocab_size: 512,
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-6,
  rope_theta: 1e6,
  tie_word_embeddings: false,
  hidden_act: 'silu',
};

/** Multiply-adds ×2 of one forward pass over b×t tokens (projections, attention scores and mixing, LM head). */
export function forwardFlops(c: ModelConfig, b: number, t: number): number {
  const tokens = b * t;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perLayer = c.hiddenSize * (q + 2 * kv) + q * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize;
  const attention = 2 * b * c.numHeads * t * t * c.headDim; // QKᵀ and AV over the full (masked) square
  return 2 * (tokens * (c.numLayers * perLayer + c.hiddenSize * c.vocabSize) + c.numLayers * attention);
}

async function matmulGflops(n: number, runs: number): Promise<number> {
  const g = new T.Graph();
  const a = g.input('a', 'float32', [n, n]);
  const b = g.input('b', 'float32', [n, n]);
  const mm = await T.compile(g, { c: T.matmul(a, b) });
  const data = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const ms = await medianMs(() => mm.run({ a: data, b: data }), runs, 2);
  return (2 * n ** 3) / (ms / 1000) / 1e9;
}

export async function runBench(args: string[]): Promise<object> {
  const opt = numericArgs(args, { batch: 16, seq: 128, runs: 10, warmup: 3, seed: 0 });
  const { batch: b, seq: t } = opt;
  const config = parseModelConfig(STANDARD_TINY, 'standard tiny config');
  const params = T.ParamStore.from(
    new Map([...initParameters(config, opt.seed)].map(([name, t]) => [name, { shape: t.shape, data: t.data as Float32Array }])),
  );
  const rng = new Rng(opt.seed + 1);
  const ids = BigInt64Array.from({ length: b * t }, () => BigInt(rng.int(config.vocabSize)));
  const positions = BigInt64Array.from({ length: b * t }, (_, i) => BigInt(i % t));
  const bias = attentionBias(Array.from({ length: b }, () => new Array(t).fill(1)), t);
  const targets = new BigInt64Array(b * t);
  const weights = new Float32Array(b * t);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j + 1 < t; j++) {
      targets[i * t + j] = ids[i * t + j + 1];
      weights[i * t + j] = 1;
    }
  }

  const g = new T.Graph();
  const inputs = new Map(params.specs.map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
  const inputIds = g.input('input_ids', 'int64', [b, t]);
  const pos = g.input('positions', 'int64', [b, t]);
  const attnBias = g.input('attn_bias', 'float32', [b, 1, 1, t, t]);
  const tgt = g.input('targets', 'int64', [b, t]);
  const w = g.input('loss_weight', 'float32', [b, t]);
  const { logits } = traceTransformer(config, (n) => inputs.get(n) as T.Tensor, { inputIds, positions: pos, attnBias });
  const loss = T.div(T.neg(T.reduceSum(T.mul(T.targetLogprobs(logits, tgt), w))), T.reduceSum(w));
  const names = params.specs.map((s) => s.name);
  const grads = T.grad(loss, names.map((n) => inputs.get(n) as T.Tensor));
  const forward = await T.compile(g, { logits });
  const trainGraph = await T.compile(g, { loss, ...Object.fromEntries(names.map((n, i) => [n, grads[i]])) });
  const feeds = () => ({
    ...Object.fromEntries(names.map((n) => [n, params.view(n)])),
    input_ids: ids,
    positions,
    attn_bias: bias,
    targets,
    loss_weight: weights,
  });
  const adamw = new T.AdamW(params, { weightDecay: 0.01 });
  let lastLoss = NaN;
  let gradMs = 0;
  let optimizerMs = 0;
  const trainStep = async () => {
    const t0 = performance.now();
    const out = await trainGraph.run(feeds());
    const t1 = performance.now();
    adamw.step(out as Record<string, Float32Array>, 1e-4);
    optimizerMs += performance.now() - t1;
    gradMs += t1 - t0;
    lastLoss = (out.loss as Float32Array)[0];
  };

  const forwardMs = await medianMs(() => forward.run(feeds()), opt.runs, opt.warmup);
  const trainMs = await medianMs(trainStep, opt.runs, opt.warmup);
  const calls = opt.runs + opt.warmup;
  // the ceiling is the best of two large square products (one size alone swings with cache effects)
  const matmul = { n1024: await matmulGflops(1024, 7), n2048: await matmulGflops(2048, 3) };
  const ceiling = Math.max(matmul.n1024, matmul.n2048);
  const flops = forwardFlops(config, b, t);
  const tokens = b * t;
  const forwardGflops = flops / (forwardMs / 1000) / 1e9;
  const trainGflops = (3 * flops) / (trainMs / 1000) / 1e9;

  const torch = torchReference('engine', ['--threads', String(defaultThreads()), '--batch', String(b), '--seq', String(t)]);
  const torchForward = (torch.result?.torch_forward_ms as number | undefined) ?? null;
  const torchTrain = (torch.result?.torch_train_step_ms as number | undefined) ?? null;
  return {
    suite: 'engine',
    config: STANDARD_TINY,
    batch: b,
    seq: t,
    threads: defaultThreads(),
    parameters: params.data.length,
    forward_ms: forwardMs,
    train_step_ms: trainMs,
    train_step_split_ms: { forward_backward: gradMs / calls, optimizer: optimizerMs / calls },
    forward_tokens_per_s: (tokens / forwardMs) * 1000,
    train_tokens_per_s: (tokens / trainMs) * 1000,
    final_loss: lastLoss,
    matmul_gflops: ceiling,
    matmul_gflops_by_size: matmul,
    forward_gflops: forwardGflops,
    train_gflops: trainGflops,
    forward_fraction: forwardGflops / ceiling,
    achieved_fraction: trainGflops / ceiling,
    torch_forward_ms: torchForward,
    torch_train_step_ms: torchTrain,
    forward_speedup: torchForward === null ? null : torchForward / forwardMs,
    train_speedup: torchTrain === null ? null : torchTrain / trainMs,
    torch_note: torch.note,
    torch: torch.result,
  };
}
