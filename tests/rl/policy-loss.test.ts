/** The policy loss on a hand-computed case: values, gradients, clip counts, aggregations, KL estimators. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Aggregation, klEstimate, type PolicyLossConfig, policyLossTerms } from '../../src/rl/policy-loss.ts';
import * as T from '../../src/tensor/index.ts';

// Two sequences, three target positions; the last token of sequence 0 is padding.
// old logprobs are −1 everywhere; ratios are chosen per token.
const ratios = [1.5, 0.5, 1, 0.5, 1.5, 4];
const mask = [1, 1, 0, 1, 1, 1];
const adv = [1, 1, 1, -2, -2, -2];

async function run(cfg: PolicyLossConfig, ref?: number[]) {
  const g = new T.Graph();
  const lp = g.input('lp', 'float32', [2, 3]);
  const scalar = (name: string) => g.input(name, 'float32', []);
  const { loss, metrics } = policyLossTerms(
    {
      logprobs: lp,
      mask: g.input('mask', 'float32', [2, 3]),
      advantages: g.input('adv', 'float32', [2, 3]),
      oldLogprobs: g.input('old', 'float32', [2, 3]),
      refLogprobs: ref ? g.input('ref', 'float32', [2, 3]) : null,
      entropy: null,
      numSeqs: scalar('num_seqs'),
      numTokens: scalar('num_tokens'),
      normConstant: scalar('norm'),
    },
    cfg,
  );
  const [dlp] = T.grad(loss, [lp]);
  const out = await (await T.compile(g, { loss, dlp, ...metrics })).run({
    lp: Float32Array.from(ratios, (r) => Math.log(r) - 1),
    mask: Float32Array.from(mask),
    adv: Float32Array.from(adv),
    old: new Float32Array(6).fill(-1),
    ...(ref ? { ref: Float32Array.from(ref) } : {}),
    num_seqs: Float32Array.of(2),
    num_tokens: Float32Array.of(5),
    norm: Float32Array.of(4),
  });
  const num = (k: string) => (out[k] as Float32Array)[0];
  return { loss: num('loss'), dlp: Array.from(out.dlp as Float32Array), num };
}

const base: PolicyLossConfig = {
  clip: true,
  clipLow: 0.2,
  clipHigh: 0.28,
  dualClip: 3,
  klCoef: 0,
  klEstimator: 'k3',
  entropyCoef: 0,
  aggregation: 'token-mean',
};

// Per token (clip-higher 0.2/0.28, dual clip 3):
//  seq 0, A=+1: r=1.5 → max(−1.5, −1.28) = −1.28 (clipped high); r=0.5 → max(−0.5, −0.8) = −0.5
//  seq 1, A=−2: r=0.5 → max(1.0, 1.6) = 1.6 (clipped low); r=1.5 → max(3.0, 2.56) = 3.0;
//               r=4 → max(8, 2.56) = 8, dual clip min(8, 2·3) = 6
const perToken = [-1.28, -0.5, 1.6, 3.0, 6];
const expectedLoss: Record<Aggregation, number> = {
  'token-mean': perToken.reduce((a, b) => a + b) / 5,
  'seq-mean-token-mean': ((-1.28 - 0.5) / 2 + (1.6 + 3.0 + 6) / 3) / 2,
  'seq-mean-token-sum-norm': (perToken.reduce((a, b) => a + b) / 4) / 2,
};

for (const aggregation of Object.keys(expectedLoss) as Aggregation[]) {
  test(`clipped loss, ${aggregation}: value and gradient by hand`, async () => {
    const r = await run({ ...base, aggregation });
    assert.ok(Math.abs(r.loss - expectedLoss[aggregation]) < 1e-5, `${r.loss} vs ${expectedLoss[aggregation]}`);
    // d pg / d logπ = −A·ratio where the unclipped branch is active; 0 where a clip binds
    const raw = [0, -0.5, 0, 0, 3.0, 0];
    const scale = aggregation === 'token-mean' ? [1 / 5, 1 / 5, 0, 1 / 5, 1 / 5, 1 / 5] : aggregation === 'seq-mean-token-mean' ? [1 / 4, 1 / 4, 0, 1 / 6, 1 / 6, 1 / 6] : new Array(6).fill(1 / 8);
    raw.forEach((d, i) => assert.ok(Math.abs(r.dlp[i] - d * scale[i]) < 1e-5, `token ${i}: ${r.dlp[i]} vs ${d * scale[i]}`));
    assert.equal(r.num('clip_high_tokens'), 1);
    assert.equal(r.num('clip_low_tokens'), 1);
    assert.equal(r.num('dual_clip_tokens'), 1);
    assert.equal(r.num('tokens'), 5);
  });
}

test('clipping off: the plain importance-weighted loss −A·ratio on every token', async () => {
  const r = await run({ ...base, clip: false, dualClip: null });
  const want = [-1.5, -0.5, 1.0, 3.0, 8.0].reduce((a, b) => a + b) / 5;
  assert.ok(Math.abs(r.loss - want) < 1e-5);
  [-1.5, -0.5, 0, 2 * 0.5, 2 * 1.5, 2 * 4].forEach((d, i) => assert.ok(Math.abs(r.dlp[i] - d / 5) < 1e-5, `token ${i}`));
});

test('k1, k2, k3 estimators of KL(π‖π_ref), and β·KL added with the same aggregation', async () => {
  const g = new T.Graph();
  const lp = g.input('lp', 'float64', [3]);
  const ref = g.input('ref', 'float64', [3]);
  const out = await (await T.compile(g, { k1: klEstimate(lp, ref, 'k1'), k2: klEstimate(lp, ref, 'k2'), k3: klEstimate(lp, ref, 'k3') })).run({
    lp: Float64Array.of(-1, -2, -0.5),
    ref: Float64Array.of(-1.5, -2, -0.2),
  });
  const d = [0.5, 0, -0.3]; // log π − log π_ref
  d.forEach((x, i) => {
    assert.ok(Math.abs((out.k1[i] as number) - x) < 1e-12);
    assert.ok(Math.abs((out.k2[i] as number) - 0.5 * x * x) < 1e-12);
    assert.ok(Math.abs((out.k3[i] as number) - (Math.exp(-x) + x - 1)) < 1e-12);
  });
  // β = 0.1, k3, token-mean; reference 0.5 below the policy on every token
  const refLp = ratios.map((r) => Math.log(r) - 1 - 0.5);
  const r = await run({ ...base, klCoef: 0.1 }, refLp);
  const k3 = Math.exp(-0.5) + 0.5 - 1;
  assert.ok(Math.abs(r.loss - (expectedLoss['token-mean'] + 0.1 * k3)) < 1e-5);
  assert.ok(Math.abs(r.num('kl_sum') - 5 * k3) < 1e-5);
});
