import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigRoofline, QWEN2_05B } from '../../src/bench/model.ts';
import { forwardMatmulFlops, trainStepMatmulFlops } from '../../src/bench/model-flops.ts';
import { parameterShapes, parseModelConfig } from '../../src/model/config.ts';

const small = { vocabSize: 10, hiddenSize: 4, intermediateSize: 6, numLayers: 2, numHeads: 2, numKvHeads: 1, headDim: 2 };

test('matmul FLOPs by hand: weights 2 × tokens × 280, attention 2 layers × 2 products × 2 × 3 × 5² × 4', () => {
  // per layer: q, o 4×4 each, k, v 4×2 each (48), gate, up, down 4×6 each (72); unembedding 10×4
  assert.equal(forwardMatmulFlops(small, 3, 5), 2 * 15 * (2 * 120 + 40) + 2 * 2 * (2 * 3 * 25 * 4));
  assert.equal(trainStepMatmulFlops(small, 3, 5), 3 * 10800);
});

test("a 0.5B forward's weight FLOPs are 2 × tokens × the model's matrix elements (every 2-D parameter, norms and biases left out)", () => {
  const config = parseModelConfig(QWEN2_05B, 'test');
  let matrices = 0;
  for (const shape of parameterShapes(config).values()) if (shape.length === 2) matrices += shape[0] * shape[1];
  assert.equal(matrices, 493_961_216);
  // one token: no attention square beyond itself (2 products × 14 heads × 64 per layer)
  assert.equal(forwardMatmulFlops(config, 1, 1), 2 * matrices + 24 * 2 * 2 * 896);
});

test('roofline: rates against the GEMM rate, and the ceiling is PyTorch’s time over the work at that rate', () => {
  const step = (fb: number, opt: number) => ({ forward_backward_s: fb, optimizer_s: opt });
  const r = {
    train_steps: [step(90, 9), step(18, 2), step(28, 2)], // steady: median of 20 and 30 → 30 (upper)
    torch_train_steps: [step(50, 5), step(38, 2)], // steady: 40
    score_tokens_per_s: 100,
    torch_score_tokens_per_s: 50,
  };
  const out = bigRoofline(r, 200, 3000, 1000, 1000);
  assert.equal(out.train_step_gflops_per_s, 100);
  assert.equal(out.train_step_fraction_of_gemm, 0.5);
  assert.equal(out.torch_train_step_gflops_per_s, 75);
  assert.equal(out.train_step_speedup_ceiling, 40 / 15);
  assert.equal(out.score_gflops_per_s, 100); // 1000 tokens in 10 s
  assert.equal(out.torch_score_fraction_of_gemm, 0.25);
  assert.equal(out.score_speedup_ceiling, 20 / 5);
  const engineOnly = bigRoofline({ train_steps: r.train_steps }, 200, 3000, 1000, 1000);
  assert.equal(engineOnly.train_step_fraction_of_gemm, 0.5);
  assert.equal(engineOnly.train_step_speedup_ceiling, undefined);
});
