import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReward, inProcessVerify } from '../../src/rewards/index.ts';

const ctx = { verify: inProcessVerify };
const G = 16;
const responses = Array.from({ length: G }, (_, i) => `response ${i} \\boxed{${i}}`);

async function draws(gamma: number, seed: number, steps: number, texts: (step: number) => string[]): Promise<number[][]> {
  const reward = createReward('random', { gamma, seed }, ctx);
  const out: number[][] = [];
  for (let step = 0; step < steps; step++) {
    for (let p = 0; p < 8; p++) {
      out.push((await reward.score({ prompt: `prompt ${p}`, promptId: p, step, responses: texts(step) })).map((r) => r.score));
    }
  }
  return out;
}

test('random reward: the mean converges to gamma (within 4 standard errors)', async () => {
  for (const gamma of [0, 0.2, 0.5, 0.9, 1]) {
    const all = (await draws(gamma, 7, 100, () => responses)).flat();
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const se = Math.sqrt((gamma * (1 - gamma)) / all.length);
    assert.ok(Math.abs(mean - gamma) <= 4 * se + 1e-12, `gamma ${gamma}: mean ${mean} over ${all.length}`);
  }
});

test('random reward: independent of the responses (shuffled and rewritten responses get the same draws)', async () => {
  let seed = 1;
  const shuffled = (step: number) => {
    const copy = [...responses];
    for (let i = copy.length - 1; i > 0; i--) {
      seed = (seed * 48271 + step) % 2147483647;
      const j = seed % (i + 1);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  };
  const original = await draws(0.5, 3, 20, () => responses);
  assert.deepEqual(await draws(0.5, 3, 20, shuffled), original);
  assert.deepEqual(await draws(0.5, 3, 20, () => responses.map(() => 'garbage')), original);
  // Correct and incorrect answers earn the same mean: no correlation with correctness.
  const flat = original.flat();
  const evenIdx = flat.filter((_, i) => i % 2 === 0);
  const oddIdx = flat.filter((_, i) => i % 2 === 1);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(mean(evenIdx) - mean(oddIdx)) < 0.1);
});

test('random reward: reproducible per seed, different across seeds and steps', async () => {
  const a = (await draws(0.5, 11, 5, () => responses)).flat();
  assert.deepEqual((await draws(0.5, 11, 5, () => responses)).flat(), a);
  const b = (await draws(0.5, 12, 5, () => responses)).flat();
  const agree = a.filter((x, i) => x === b[i]).length / a.length;
  assert.ok(agree > 0.35 && agree < 0.65, `seeds agree on ${agree}`);
  const steps = await draws(0.5, 11, 2, () => responses);
  assert.notDeepEqual(steps.slice(0, 8), steps.slice(8, 16));
});
