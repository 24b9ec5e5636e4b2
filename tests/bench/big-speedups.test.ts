import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigSpeedups } from '../../src/bench/model.ts';

test('0.5B speedups: rates divide, the train step is the median of the steps after the first, peak RSS is a ratio', () => {
  const step = (fb: number, opt: number) => ({ forward_backward_s: fb, optimizer_s: opt, loss: 1, peak_rss_gb: 1 });
  const engine = {
    generate_greedy_b1_tokens_per_s: 12,
    generate_greedy_b8_tokens_per_s: 40,
    score_tokens_per_s: 150,
    train_steps: [step(100, 50), step(20, 2), step(30, 4), step(25, 3)],
    peak_rss_gb: 10,
  };
  const torch = {
    torch_generate_greedy_b1_tokens_per_s: 3,
    torch_generate_greedy_b8_tokens_per_s: 10,
    torch_score_tokens_per_s: 50,
    torch_train_steps: [step(70, 5), step(60, 2)],
    torch_peak_rss_gb: 12.5,
  };
  const s = bigSpeedups(engine, torch);
  assert.equal(s.generate_greedy_b1_speedup, 4);
  assert.equal(s.generate_greedy_b8_speedup, 4);
  assert.equal(s.score_speedup, 3);
  assert.equal(s.train_step_s, 28); // median of 22, 34, 28 (the first step compiles)
  assert.equal(s.torch_train_step_s, 62);
  assert.equal(s.train_step_speedup, 62 / 28);
  assert.equal(s.peak_rss_vs_torch, 0.8);
  assert.deepEqual(bigSpeedups({ ...engine, train_steps: [] }, {}), {});
});
