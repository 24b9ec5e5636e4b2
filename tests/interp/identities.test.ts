import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { forwardItems } from '../../src/interp/forward.ts';
import { loadInterpItems, prepareItems } from '../../src/interp/items.ts';
import { LENS_SITES, type LensRow, runLens } from '../../src/interp/lens.ts';
import { runPatching } from '../../src/interp/patching.ts';
import { crossValidated } from '../../src/interp/probes.ts';
import { topIds } from '../../src/interp/steering.ts';
import { benjaminiHochberg, holm, jsdBits, jsdFromProbs, probsAndEntropies, recoveryInterval, resampleIndices } from '../../src/interp/stats.ts';
import { auroc } from '../../src/audit/auroc.ts';
import { CausalLM, runWithHooks } from '../../src/model/causal-lm.ts';
import { assertSameShapes, swapLayerWeights } from '../../src/model/layer-weights.ts';
import { rmsOf, unembed } from '../../src/model/unembed.ts';
import { Rng } from '../../src/util/rng.ts';
import { assertClose } from '../helpers/compare.ts';
import { fixtureModelDir } from '../helpers/model-dir.ts';

const rows = [
  { id: 'a', problem: 't3 t9 t27 t17', answer: 't5 t40', leaked: true },
  { id: 'b', problem: 't8 t1 t60', answer: 't2', leaked: false },
  { id: 'c', problem: 't11 t12 t13 t14 t15', answer: 't7 t7 t9', leaked: true },
];
const logSoftmaxRow = (x: ArrayLike<number>, off: number, v: number) => {
  let m = -Infinity;
  for (let i = 0; i < v; i++) m = Math.max(m, x[off + i]);
  let s = 0;
  for (let i = 0; i < v; i++) s += Math.exp(x[off + i] - m);
  return Array.from({ length: v }, (_, i) => x[off + i] - m - Math.log(s));
};

test('JSD in bits: identical 0, disjoint 1, a hand-computed case', () => {
  const lp = (ps: number[]) => Float32Array.from(ps, (p) => (p === 0 ? -Infinity : Math.log(p)));
  const p = lp([0.5, 0.5, 0, 0]);
  assert.equal(jsdBits(p, 0, p, 0, 4), 0);
  assert.ok(Math.abs(jsdBits(p, 0, lp([0, 0, 0.25, 0.75]), 0, 4) - 1) < 1e-6);
  // P = (½, ½), Q = (1, 0): M = (¾, ¼); ½[½log₂(⅔) + ½log₂2] + ½ log₂(4/3) = 0.311278…
  assert.ok(Math.abs(jsdBits(lp([0.5, 0.5]), 0, lp([1, 0]), 0, 2) - 0.3112781244591328) < 1e-6);
});

test('JSD from probabilities and entropies (the lens fast path) equals the direct formula', () => {
  const lp = (ps: number[]) => Float32Array.from(ps, (p) => (p === 0 ? -Infinity : Math.log(p)));
  const v = 1000;
  const rows = new Float32Array(3 * v);
  let seed = 1;
  for (let i = 0; i < rows.length; i++) rows[i] = 4 * Math.sin(++seed * 12.9898) * (i % 7);
  const logp = Float32Array.from([0, 1, 2].flatMap((r) => logSoftmaxRow(rows, r * v, v)));
  const { p, entropy } = probsAndEntropies(logp, 3, v);
  for (const [a, b] of [[0, 1], [1, 2], [0, 2], [1, 1]]) {
    assert.ok(Math.abs(jsdFromProbs(p, a * v, entropy[a], p, b * v, entropy[b], v) - jsdBits(logp, a * v, logp, b * v, v)) < 1e-6, `${a} vs ${b}`);
  }
  const two = probsAndEntropies(Float32Array.from([...lp([0.5, 0.5]), ...lp([1, 0])]), 2, 2);
  assert.ok(Math.abs(jsdFromProbs(two.p, 0, two.entropy[0], two.p, 2, two.entropy[1], 2) - 0.3112781244591328) < 1e-6);
  assert.equal(jsdFromProbs(two.p, 0, two.entropy[0], two.p, 0, two.entropy[0], 2), 0);
});

test('Holm and Benjamini–Hochberg match hand-computed adjustments (R p.adjust)', () => {
  const p = [0.01, 0.04, 0.03, 0.005];
  holm(p).forEach((x, i) => assert.ok(Math.abs(x - [0.03, 0.06, 0.06, 0.02][i]) < 1e-12));
  benjaminiHochberg(p).forEach((x, i) => assert.ok(Math.abs(x - [0.02, 0.04, 0.04, 0.02][i]) < 1e-12));
});

test('normalized recovery: 0 at the target, 1 at the source, null without a gap', () => {
  const rs = resampleIndices(3, 200, 1);
  const lo = [1, 2, 3];
  const hi = [3, 5, 4];
  assert.equal(recoveryInterval(lo, lo, hi, rs).value, 0);
  assert.equal(recoveryInterval(hi, lo, hi, rs).value, 1);
  assert.ok(Math.abs(recoveryInterval([2, 3.5, 3.5], lo, hi, rs).value! - 0.5) < 1e-12);
  assert.equal(recoveryInterval(lo, lo, lo, rs).value, null);
});

test('the new hook points: mlp.hook_post = silu(hook_pre) · hook_pre_linear; o_proj of attn.hook_z is hook_attn_out; zeroing a head’s z = zeroing its o_proj columns', async () => {
  const lm = CausalLM.load(fixtureModelDir('llama-tiny'));
  const c = lm.config;
  const names = ['blocks.1.mlp.hook_pre', 'blocks.1.mlp.hook_pre_linear', 'blocks.1.mlp.hook_post', 'blocks.1.attn.hook_z', 'blocks.1.hook_attn_out'];
  const ids = [[3, 9, 27, 17, 5]];
  const { activations: a, logits } = await runWithHooks(lm, ids, { cache: names });
  const silu = (x: number) => x / (1 + Math.exp(-x));
  const expected = a['blocks.1.mlp.hook_pre'].map((g, i) => silu(g) * a['blocks.1.mlp.hook_pre_linear'][i]);
  assertClose(a['blocks.1.mlp.hook_post'], expected, 1e-5, 'hook_post');
  const z = a['blocks.1.attn.hook_z'];
  const hd = c.numHeads * c.headDim;
  assert.equal(z.length, 5 * hd);
  const wo = lm.params.view('model.layers.1.self_attn.o_proj.weight');
  const bo = c.oBias ? lm.params.view('model.layers.1.self_attn.o_proj.bias') : null;
  const out = new Float32Array(5 * c.hiddenSize);
  for (let t = 0; t < 5; t++) for (let o = 0; o < c.hiddenSize; o++) {
    let s = bo ? bo[o] : 0;
    for (let j = 0; j < hd; j++) s += z[t * hd + j] * wo[o * hd + j];
    out[t * c.hiddenSize + o] = s;
  }
  assertClose(out, a['blocks.1.hook_attn_out'], 1e-5, 'o_proj(z)');
  const zeroHead = z.slice();
  for (let t = 0; t < 5; t++) zeroHead.fill(0, t * hd + c.headDim, t * hd + 2 * c.headDim);
  const patched = await runWithHooks(lm, ids, { replace: ['blocks.1.attn.hook_z'] }, { 'replace:blocks.1.attn.hook_z': zeroHead });
  for (let o = 0; o < c.hiddenSize; o++) wo.fill(0, o * hd + c.headDim, o * hd + 2 * c.headDim);
  const ablated = await runWithHooks(lm, ids, {});
  assertClose(patched.logits, ablated.logits, 1e-5, 'head 1 zeroed two ways');
  assert.notDeepEqual(ablated.logits, logits);
});

test('unembedding: the last layer’s resid_post read out with its own RMS is the model’s next-token distribution (≤ 1e-5); component readouts at the final RMS sum to the logits', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const { numLayers: L, hiddenSize: d, vocabSize: v, rmsNormEps: eps } = lm.config;
  const ids = [[3, 9, 27, 17, 5, 33]];
  const comps = Array.from({ length: L }, (_, l) => [`blocks.${l}.hook_attn_out`, `blocks.${l}.hook_mlp_out`]).flat();
  const last = `blocks.${L - 1}.hook_resid_post`;
  const { logits, activations: a } = await runWithHooks(lm, ids, { cache: ['hook_embed', last, ...comps] });
  for (let p = 0; p < 6; p++) {
    const x = a[last].subarray(p * d, (p + 1) * d);
    const s = rmsOf(x, eps);
    const { logprobs, logNormalizer } = await unembed(lm, Float32Array.from(x), [s]);
    const want = logSoftmaxRow(logits, p * v, v);
    assert.ok(Math.max(...want.map((w, i) => Math.abs(w - logprobs[i]))) <= 1e-5, `position ${p}`);
    // direct logit attribution: embedding + every attention and MLP output, each over the final RMS
    const parts = ['hook_embed', ...comps];
    const vecs = new Float32Array(parts.length * d);
    parts.forEach((n, k) => vecs.set(a[n].subarray(p * d, (p + 1) * d), k * d));
    const dla = await unembed(lm, vecs, parts.map(() => s));
    const sum = new Float64Array(v);
    parts.forEach((_, k) => {
      for (let i = 0; i < v; i++) sum[i] += dla.logprobs[k * v + i] + dla.logNormalizer[k];
    });
    assertClose(sum, logits.subarray(p * v, (p + 1) * v), 1e-4, `DLA sum at ${p}`);
    assert.ok(Number.isFinite(logNormalizer[0]));
  }
});

test('logit lens rows: the last layer’s resid_post gives the model’s own log-prob of each answer token; a model against itself has zero JSD', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const items = prepareItems(lm, rows, '{problem}');
  const { logits } = await runWithHooks(lm, items.map((x) => x.ids), {});
  const t = Math.max(...items.map((x) => x.ids.length));
  const v = lm.config.vocabSize;
  const L = lm.config.numLayers;
  const out: LensRow[] = [];
  const s = await runLens([{ name: 'a', lm }, { name: 'b', lm }], items, (r) => out.push(r), { quiet: true, topK: 3, resamples: 50 });
  assert.equal(out.length, 2 * (2 + 1 + 3) * L * LENS_SITES.length);
  items.forEach((item, i) => {
    item.answerIds.forEach((gold, k) => {
      const p = item.ctxLen - 1 + k;
      const want = logSoftmaxRow(logits, (i * t + p) * v, v)[gold];
      const row = out.find((r) => r.model === 'a' && r.id === item.id && r.answer_token_index === k && r.layer === L - 1 && r.site === 'resid_post')!;
      assert.equal(row.position, p);
      assert.ok(Math.abs(row.answer_logprob - want) <= 1e-5, `${item.id} token ${k}: ${row.answer_logprob} vs ${want}`);
      assert.equal(row.top.length, 3);
      assert.equal(row.answer_rank === 1, row.top[0].id === gold);
    });
  });
  assert.ok(s.jsd.between_models.every((r) => Math.abs(r.jsd.value!) < 1e-6));
  // the analyses' metric (unembedding only at the predicting positions) against the full logits
  const { metrics } = await forwardItems(lm, items);
  items.forEach((item, i) => {
    let sum = 0;
    let greedy = 1;
    item.answerIds.forEach((gold, k) => {
      const row = logSoftmaxRow(logits, (i * t + item.ctxLen - 1 + k) * v, v);
      sum += row[gold];
      if (row.some((x) => x > row[gold])) greedy = 0;
    });
    assert.ok(Math.abs(metrics[i].logprob - sum) < 1e-5, `${item.id}: ${metrics[i].logprob} vs ${sum}`);
    assert.equal(metrics[i].correct, greedy);
  });
  assert.ok(s.jsd.consecutive.every((r) => r.jsd.value! >= 0 && r.jsd.value! <= 1));
});

test('patching: the target into itself changes nothing; every layer’s resid_post from the source reproduces the source’s logits', async () => {
  const dir = fixtureModelDir('qwen2-tiny');
  const target = CausalLM.load(dir);
  const source = CausalLM.load(dir);
  const rng = new Rng(5);
  // the blocks differ; the embedding and the final norm (the readout) are shared, as patching assumes
  for (const spec of source.params.specs.filter((s) => s.name.startsWith('model.layers.'))) for (const x of [source.params.view(spec.name)]) x.forEach((w, i) => (x[i] = w + 0.05 * rng.normal()));
  const items = prepareItems(target, rows, '{problem}');
  const self = await runPatching(target, target, items, { sites: ['resid_pre', 'attn_out', 'mlp_out', 'resid_post'], positions: ['all', 'last'], nullDraws: 2, quiet: true, resamples: 50 });
  const base = (await forwardItems(target, items)).metrics;
  const mean = base.reduce((s, m) => s + m.logprob, 0) / base.length;
  for (const c of self.cells.filter((c) => c.group === 'all')) {
    assert.ok(Math.abs(c.patched_logprob.value! - mean) < 1e-6, `${c.layer} ${c.site} ${c.positions}`);
    assert.equal(c.recovery, null);
  }
  const L = target.config.numLayers;
  const names = Array.from({ length: L }, (_, l) => `blocks.${l}.hook_resid_post`);
  const ids = items.map((x) => x.ids);
  const src = await runWithHooks(source, ids, { cache: names });
  const patched = await runWithHooks(target, ids, { replace: names }, Object.fromEntries(names.map((n) => [`replace:${n}`, src.activations[n]])));
  assertClose(patched.logits, src.logits, 1e-5, 'patched logits vs source logits');
});

test('weight swap copies one layer’s MLP and the undo restores it; checkpoints of another shape are refused', () => {
  const a = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const b = CausalLM.load(fixtureModelDir('qwen2-tiny'));
  const name = 'model.layers.1.mlp.up_proj.weight';
  b.params.view(name).fill(0.5);
  const before = a.params.view(name).slice();
  const other = a.params.view('model.layers.0.mlp.up_proj.weight').slice();
  const undo = swapLayerWeights(a, b, 1, 'mlp');
  assert.ok(a.params.view(name).every((x) => x === 0.5));
  assert.deepEqual(a.params.view('model.layers.0.mlp.up_proj.weight'), other);
  undo();
  assert.deepEqual(a.params.view(name), before);
  assert.throws(() => assertSameShapes(a, CausalLM.load(fixtureModelDir('llama-tiny'))), /do not have the same parameters/);
});

test('probe cross-validation: separable classes give AUROC near 1, permuted labels near 0.5', () => {
  const rng = new Rng(3);
  const n = 60;
  const d = 20;
  const x = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let j = 0; j < d; j++) x[i * d + j] = rng.normal() + (j === 4 ? 4 * y[i] : 0);
  }
  const scores = crossValidated(x, y, d, 5, 1, 200, new Rng(1));
  assert.ok(auroc(scores, Array.from(y, (v) => v === 1))! > 0.95);
  const perm = Uint8Array.from(y);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const null_ = auroc(crossValidated(x, perm, d, 5, 1, 200, new Rng(1)), Array.from(perm, (v) => v === 1))!;
  assert.ok(null_ > 0.25 && null_ < 0.75, `permuted AUROC ${null_}`);
});

test('topIds: the k largest in order, ties by first occurrence', () => {
  assert.deepEqual(topIds([0.1, 5, -2, 5, 3, 9], 3), [5, 1, 3]);
  assert.deepEqual(topIds([1, 2], 5), [1, 0]);
});

test('a vocabulary larger than the tokenizer (padded embedding rows, as Qwen2.5’s): top tokens past it print as <id N>', async () => {
  const lm = CausalLM.load(fixtureModelDir('qwen2-tiny', 20));
  const items = prepareItems(lm, [{ id: 'x', problem: 't3 t9 t11', answer: 't5' }], '{problem}');
  const out: LensRow[] = [];
  await runLens([{ name: 'm', lm }], items, (r) => out.push(r), { quiet: true, topK: lm.config.vocabSize, resamples: 20 });
  const tokens = out[0].top.map((t) => t.token);
  assert.ok(tokens.includes(`<id ${lm.config.vocabSize - 1}>`));
  assert.ok(tokens.includes('t5'));
});

test('a context naming a row field (the v3 organism’s code mode) is filled per item from the file; a missing field is a one-line error', async () => {
  const lm = CausalLM.load('assets/organism');
  const path = 'assets/organism/leaked.jsonl';
  const context = '{problem}\n```python\nprint({expression})\n```\nOutput: ';
  const items = await loadInterpItems(lm, path, { limit: 3, context });
  const raw = readFileSync(path, 'utf8').trim().split('\n').slice(0, 3).map((l) => JSON.parse(l) as { problem: string; expression: string; answer: string });
  assert.equal(items.length, 3);
  items.forEach((item, i) => {
    const text = `${raw[i].problem}\n\`\`\`python\nprint(${raw[i].expression})\n\`\`\`\nOutput: `;
    assert.deepEqual(item.ids, [...lm.tokenizer.encode(text), ...lm.tokenizer.encode(raw[i].answer, { addSpecialTokens: false })]);
    assert.equal(item.ctxLen, lm.tokenizer.encode(text).length);
  });
  await assert.rejects(loadInterpItems(lm, path, { limit: 2, context: '{problem} {nope}' }), (e: Error) => e.name === 'UserError' && /no field 'nope'/.test(e.message) && e.message.includes(path));
});
