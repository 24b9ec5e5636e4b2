import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAblations } from '../../src/interp/ablation.ts';
import { identifyAnchors, mlpWeightChange } from '../../src/interp/anchors.ts';
import { prepareItems } from '../../src/interp/items.ts';
import { runLens } from '../../src/interp/lens.ts';
import { runNde } from '../../src/interp/nde.ts';
import { runPatching } from '../../src/interp/patching.ts';
import { runSteering } from '../../src/interp/steering.ts';
import { CARRIER_LAYER, PLANTED_LAYER, PLANTED_NEURONS, plantedPair } from './planted.ts';

const { base, planted, rows } = plantedPair();
const items = prepareItems(planted, rows, '{problem}');

test('the planted memory works: the planted model answers every key, the base none', async () => {
  const r = await runPatching(base, planted, items, { sites: ['resid_post'], layers: [0], nullDraws: 0, quiet: true, resamples: 100 });
  const all = r.baseline.find((b) => b.group === 'all')!;
  assert.equal(all.source_accuracy.value, 1);
  assert.equal(all.target_accuracy.value, 0);
  assert.ok(all.source_logprob.value! - all.target_logprob.value! > 5);
});

test('patching and the anchor rule localize the planted layer; the random-direction null does not recover it', async () => {
  const patch = await runPatching(base, planted, items, { sites: ['attn_out', 'mlp_out'], nullDraws: 59, quiet: true, resamples: 300 });
  const mlp = patch.cells.filter((c) => c.group === 'all' && c.site === 'mlp_out');
  const at = mlp.find((c) => c.layer === PLANTED_LAYER)!;
  assert.ok(at.recovery! > 0.95 && at.ci![0] > 0.9, `recovery ${at.recovery} ${at.ci}`);
  assert.ok(at.null!.p95 < 0.7 * at.ci![0], `null 95th percentile ${at.null!.p95}`);
  for (const c of mlp.filter((c) => c.layer !== PLANTED_LAYER)) assert.ok(Math.abs(c.recovery!) < 0.1, `layer ${c.layer}: ${c.recovery}`);
  for (const c of patch.cells.filter((c) => c.group === 'all' && c.site === 'attn_out' && c.layer <= PLANTED_LAYER)) assert.equal(c.recovery, 0);
  const lens = await runLens([{ name: 'base', lm: base }, { name: 'planted', lm: planted }], items, () => {}, { quiet: true, resamples: 100 });
  const weights = [0, 1, 2].map((l) => mlpWeightChange(planted, base, l));
  assert.deepEqual(weights.map((w) => w > 0), [false, true, false]);
  const anchors = identifyAnchors(patch, lens, weights);
  assert.deepEqual(anchors.anchors, [PLANTED_LAYER]);
  assert.equal(anchors.notes.length, 1);
  assert.match(anchors.notes[0], /no MLP reset ablation/);
  // with too few null draws for the adjustment to reach α, the rule says so instead of passing anything
  const few = await runPatching(base, planted, items, { sites: ['mlp_out'], nullDraws: 5, quiet: true, resamples: 100 });
  const none = identifyAnchors(few, lens, weights);
  assert.deepEqual(none.anchors, []);
  assert.match(none.notes.join(' '), /raise --null-draws/);
});

test('the necessity check: a later layer whose MLP output only carries the planted change passes patching but is not named an anchor', async () => {
  const carried = plantedPair({ carrier: { gain: 4, out: 0.5 } });
  const its = prepareItems(carried.planted, carried.rows, '{problem}');
  const patch = await runPatching(carried.base, carried.planted, its, { sites: ['mlp_out'], nullDraws: 59, nullMinRecovery: 0.2, quiet: true, resamples: 300 });
  const cell = (l: number) => patch.cells.find((c) => c.group === 'all' && c.layer === l)!;
  // patching alone cannot tell the two layers apart
  for (const l of [PLANTED_LAYER, CARRIER_LAYER]) assert.ok(cell(l).ci![0] > 0.9 && cell(l).ci![0] > cell(l).null!.p95 && cell(l).null!.p_adjusted! <= 0.05, `layer ${l}`);
  // the null was drawn only where recovery reached 0.2; layer 0 enters the adjustment with p = 1
  assert.equal(cell(0).null, undefined);
  const weights = [0, 1, 2].map((l) => mlpWeightChange(carried.planted, carried.base, l));
  assert.deepEqual(weights.map((w) => w > 0), [false, true, false]);
  assert.deepEqual(identifyAnchors(patch, null, weights).anchors, [PLANTED_LAYER, CARRIER_LAYER]);
  const ablation = await runAblations(carried.planted, carried.base, its, { kinds: ['reset'], parts: ['mlp'], quiet: true, resamples: 300 });
  const rule = identifyAnchors(patch, null, weights, undefined, 'all', ablation);
  assert.deepEqual(rule.anchors, [PLANTED_LAYER]);
  const carrier = rule.layers.find((l) => l.layer === CARRIER_LAYER)!;
  assert.equal(carrier.role, 'none');
  assert.ok(Math.abs(carrier.necessity!.value!) < 1e-6);
  assert.ok(Math.abs(rule.layers.find((l) => l.layer === PLANTED_LAYER)!.necessity!.value! - 1) < 1e-6);
  assert.match(rule.notes.join(' '), new RegExp(`layer ${CARRIER_LAYER}: .*carries an earlier change`));
  // the demo's order: the null only where the necessity check passed; the same anchor, the same p
  const screened = await runPatching(carried.base, carried.planted, its, { sites: ['mlp_out'], nullDraws: 59, nullMinRecovery: 0.2, nullLayers: [PLANTED_LAYER], quiet: true, resamples: 300 });
  const at = (l: number) => screened.cells.find((c) => c.group === 'all' && c.layer === l)!;
  assert.equal(at(CARRIER_LAYER).null, undefined);
  assert.deepEqual(at(PLANTED_LAYER).null, cell(PLANTED_LAYER).null);
  assert.deepEqual(identifyAnchors(screened, null, weights, undefined, 'all', ablation).anchors, [PLANTED_LAYER]);
});

test('ablations: resetting the planted layer’s MLP removes the whole effect, every other reset nothing; keep-only that layer keeps it', async () => {
  const r = await runAblations(planted, base, items, { kinds: ['reset', 'keep-only'], quiet: true, resamples: 100 });
  const get = (kind: string, part: string, layer: number) => r.rows.find((x) => x.group === 'all' && x.kind === kind && x.part === part && x.layer === layer)!;
  assert.ok(Math.abs(get('reset', 'mlp', PLANTED_LAYER).gap_removed.value! - 1) < 1e-6);
  assert.equal(get('reset', 'mlp', PLANTED_LAYER).delta_accuracy.value, -1);
  for (const l of [0, 2]) assert.ok(Math.abs(get('reset', 'mlp', l).gap_removed.value!) < 1e-6);
  for (const l of [0, 1, 2]) assert.ok(Math.abs(get('reset', 'attn', l).gap_removed.value!) < 1e-6);
  assert.ok(Math.abs(get('keep-only', 'mlp', PLANTED_LAYER).gap_removed.value!) < 1e-6);
  assert.ok(Math.abs(get('keep-only', 'mlp', 0).gap_removed.value! - 1) < 1e-6);
});

test('steering selects the planted neurons on one split and removes the answers on the other; magnitude-matched random neurons and random layers do not', async () => {
  const r = await runSteering(planted, items, { factors: [0, 1, 1.5], k: 12, score: 'dla', nullSets: 20, quiet: true, resamples: 300 });
  // factor 1 is the identity, through the pruned run (fed the unsteered resid_mid) as well
  for (const l of r.layers) assert.ok(Math.abs(l.factors.find((f) => f.factor === 1)!.delta_logprob.value!) < 1e-4, `layer ${l.layer}`);
  assert.equal(new Set([...r.selection_ids, ...r.evaluation_ids]).size, items.length);
  assert.ok(r.selection_ids.every((id) => !r.evaluation_ids.includes(id)));
  const layer = r.layers.find((l) => l.layer === PLANTED_LAYER)!;
  assert.deepEqual([...layer.selected.map((s) => s.neuron)].sort((a, b) => a - b), PLANTED_NEURONS);
  const zero = layer.factors.find((f) => f.factor === 0)!;
  assert.ok(zero.delta_logprob.ci![1] < -5, `Δ log-prob ${zero.delta_logprob.value}`);
  assert.ok(zero.delta_accuracy.value! < -0.9);
  assert.ok(zero.delta_logprob.value! < zero.null_neurons.band[0] && zero.delta_logprob.value! < zero.null_layers.band[0]);
  assert.ok(Math.abs(zero.null_neurons.mean) < 0.05 * Math.abs(zero.delta_logprob.value!));
  assert.equal(zero.null_neurons.p, 1 / 21);
  for (const l of r.layers.filter((l) => l.layer !== PLANTED_LAYER)) assert.ok(Math.abs(l.factors[0].delta_logprob.value!) < 0.5, `layer ${l.layer}`);
});

test('NDE: held-out accuracy on a label the trajectories carry, a force per layer, marked correlational', async () => {
  // label: the answer class (keys of classes 0–1 vs 2–3); held-out items are new (prefix, key) pairs
  const more = ['k', 'm', 'q', 'z'].flatMap((p) => rows.map((r, i) => ({ ...r, id: `${p}/${r.id}`, problem: p + r.problem.slice(1), leaked: i < 12 })));
  const labeled = prepareItems(planted, more, '{problem}');
  const r = await runNde(planted, labeled, { epochs: 60, quiet: true, resamples: 100 });
  assert.equal(r.evidence, 'correlational');
  assert.equal(r.force.length, planted.config.numLayers + 1);
  assert.ok(r.held_out_accuracy.value! >= 0.9, `held-out accuracy ${r.held_out_accuracy.value}`);
  assert.equal(r.train_items + r.validation_items + r.held_out_items, labeled.length);
  await assert.rejects(runNde(planted, items.map((x) => ({ ...x, label: undefined })), { epochs: 1, quiet: true }), /needs a boolean `leaked` label/);
});
