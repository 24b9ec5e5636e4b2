/**
 * Neuron attribution and steering on `blocks.{l}.mlp.hook_post` (the input of down_proj; neuron i's
 * "value vector" is column i of W_down).
 *
 * Scores, at the position predicting the first answer token, averaged over the *selection* items:
 * - magnitude: |a_i| · (1 + λ · overlap_i), overlap_i = |top-10 tokens of the value vector's
 *   readout (final norm + unembedding) ∩ the answer's token ids| / |answer ids| (ids directly, no
 *   string round trip);
 * - dla: direct logit attribution to the gold first answer token, a_i · (γ ⊙ v_i / s_final) · W_U[gold].
 * The top-k neurons per layer are then scaled by each factor at every position on the disjoint
 * *evaluation* items; effect = paired change of answer log-prob and greedy accuracy against factor 1.
 * Nulls: `nullSets` random neuron sets of the same layer matched to the selected neurons' activation
 * magnitudes (same decile of mean |a|), and as many from a random other layer (same decile there);
 * two-sided empirical p-values, adjusted across layers per factor.
 */
import type { CausalLM } from '../model/causal-lm.ts';
import { rmsOf, unembed } from '../model/unembed.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { autoBatchSize, evaluateItems, forwardItems } from './forward.ts';
import { batchesOf, type InterpItem, tokenText } from './items.ts';
import { adjust, type Correction, diffInterval, type Interval, nullPValue, quantile, resampleIndices } from './stats.ts';

export const DEFAULT_FACTORS = [0, 0.2, 0.5, 1.5, 2, 3];
export type NeuronScore = 'magnitude' | 'dla';

export interface SteeringOptions {
  layers?: number[];
  k?: number;
  lambda?: number;
  factors?: number[];
  score?: NeuronScore;
  nullSets?: number;
  selectionFraction?: number;
  batchSize?: number;
  resamples?: number;
  seed?: number;
  correction?: Correction;
  quiet?: boolean;
}

interface NullSummary {
  sets: number;
  mean: number;
  band: [number, number];
  p: number;
  p_adjusted?: number;
}

export interface SteeringLayer {
  layer: number;
  selected: Array<{ neuron: number; score: number; magnitude: number; dla: number; overlap: number; top_tokens: string[] }>;
  /** Jaccard overlap of the top-k by magnitude score and by DLA. */
  score_agreement: number;
  factors: Array<{ factor: number; delta_logprob: Interval; delta_accuracy: Interval; null_neurons: NullSummary; null_layers: NullSummary }>;
}

export interface SteeringResult {
  model: string;
  score: NeuronScore;
  lambda: number;
  k: number;
  correction: Correction;
  selection_ids: string[];
  evaluation_ids: string[];
  baseline: { logprob: number; accuracy: number };
  layers: SteeringLayer[];
}

/** Stratified (by label) seeded split into selection and evaluation items. */
export function splitItems(items: readonly InterpItem[], fraction: number, seed: number): { selection: InterpItem[]; evaluation: InterpItem[] } {
  const rng = new Rng(seed);
  const selection: InterpItem[] = [];
  const evaluation: InterpItem[] = [];
  for (const want of [true, false, undefined]) {
    const group = items.filter((x) => x.label === want);
    rng.shuffle(group);
    const cut = Math.round(group.length * fraction);
    selection.push(...group.slice(0, cut));
    evaluation.push(...group.slice(cut));
  }
  if (selection.length === 0 || evaluation.length === 0) throw new UserError(`steering needs items for both the selection and the evaluation split (${items.length} items, fraction ${fraction})`);
  return { selection, evaluation };
}

interface LayerScores {
  magnitude: Float64Array;
  score: Float64Array;
  dla: Float64Array;
  overlap: Float64Array;
  /** Per neuron, empty for layers scored for magnitudes only. */
  topTokens: number[][];
}

/** Ids of the k largest values, largest first (one linear scan: vocabularies are large). */
export function topIds(row: ArrayLike<number>, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (top.length === k && row[i] <= row[top[k - 1]]) continue;
    let j = top.length < k ? top.push(i) - 1 : k - 1;
    while (j > 0 && row[top[j - 1]] < row[i]) {
      top[j] = top[j - 1];
      j--;
    }
    top[j] = i;
  }
  return top;
}

/** Top-10 token ids of each value vector's readout (final norm with its own RMS, unembedding). */
async function valueVectorTopTokens(lm: CausalLM, layer: number): Promise<number[][]> {
  const d = lm.config.hiddenSize;
  const m = lm.config.intermediateSize;
  const v = lm.config.vocabSize;
  const down = lm.params.view(`model.layers.${layer}.mlp.down_proj.weight`); // [d, m]
  const out: number[][] = [];
  const chunk = 256;
  for (let start = 0; start < m; start += chunk) {
    const c = Math.min(chunk, m - start);
    const vecs = new Float32Array(c * d);
    for (let i = 0; i < c; i++) for (let j = 0; j < d; j++) vecs[i * d + j] = down[j * m + start + i];
    const rms = Array.from({ length: c }, (_, i) => rmsOf(vecs, lm.config.rmsNormEps, i * d, d));
    const { logprobs } = await unembed(lm, vecs, rms);
    for (let i = 0; i < c; i++) {
      out.push(topIds(logprobs.subarray(i * v, (i + 1) * v), 10));
    }
  }
  return out;
}

/** Scores of every neuron of `layers`; value-vector top tokens (the costly part: intermediate × vocabulary per layer) only for `readout` layers. */
async function scoreNeurons(lm: CausalLM, items: readonly InterpItem[], layers: number[], readout: ReadonlySet<number>, lambda: number, batchSize: number): Promise<Map<number, LayerScores>> {
  const d = lm.config.hiddenSize;
  const m = lm.config.intermediateSize;
  const L = lm.config.numLayers;
  const gamma = lm.params.view('model.norm.weight');
  const head = lm.config.tieWordEmbeddings ? lm.params.view('model.embed_tokens.weight') : lm.params.view('lm_head.weight');
  const result = new Map<number, LayerScores>();
  for (const l of layers) result.set(l, { magnitude: new Float64Array(m), score: new Float64Array(m), dla: new Float64Array(m), overlap: new Float64Array(m), topTokens: readout.has(l) ? await valueVectorTopTokens(lm, l) : [] });
  const finalName = `blocks.${L - 1}.hook_resid_post`;
  const cache = [finalName, ...layers.map((l) => `blocks.${l}.mlp.hook_post`)];
  for (const batch of batchesOf(items, batchSize)) {
    const { t, acts } = await forwardItems(lm, batch, { cache });
    batch.forEach((item, i) => {
      const p = item.ctxLen - 1;
      const s = rmsOf(acts[finalName], lm.config.rmsNormEps, (i * t + p) * d, d);
      const gold = item.answerIds[0];
      const u = new Float64Array(d);
      for (let j = 0; j < d; j++) u[j] = (gamma[j] * head[gold * d + j]) / s;
      const answer = new Set(item.answerIds);
      for (const l of layers) {
        const sc = result.get(l)!;
        const a = acts[`blocks.${l}.mlp.hook_post`].subarray((i * t + p) * m, (i * t + p + 1) * m);
        const down = lm.params.view(`model.layers.${l}.mlp.down_proj.weight`);
        const w = new Float64Array(m);
        for (let j = 0; j < d; j++) {
          const uj = u[j];
          const row = j * m;
          for (let n = 0; n < m; n++) w[n] += uj * down[row + n];
        }
        for (let n = 0; n < m; n++) {
          const overlap = sc.topTokens.length > 0 ? sc.topTokens[n].filter((id) => answer.has(id)).length / answer.size : 0;
          sc.magnitude[n] += Math.abs(a[n]) / items.length;
          sc.overlap[n] += overlap / items.length;
          sc.score[n] += (Math.abs(a[n]) * (1 + lambda * overlap)) / items.length;
          sc.dla[n] += (a[n] * w[n]) / items.length;
        }
      }
    });
  }
  return result;
}

/** Decile bin of each neuron by its mean |activation| (0 = smallest). */
function magnitudeBins(mag: Float64Array): Int32Array {
  const order = Array.from(mag, (_, i) => i).sort((a, b) => mag[a] - mag[b]);
  const bins = new Int32Array(mag.length);
  order.forEach((n, r) => (bins[n] = Math.min(9, Math.floor((10 * r) / mag.length))));
  return bins;
}

/** A random set matching the bins of `selected` (drawn from `pool` bins, excluding `exclude`). */
function matchedSet(selectedBins: number[], poolBins: Int32Array, exclude: Set<number>, rng: Rng): number[] {
  const chosen = new Set<number>();
  for (const bin of selectedBins) {
    const candidates: number[] = [];
    for (let n = 0; n < poolBins.length; n++) if (poolBins[n] === bin && !exclude.has(n) && !chosen.has(n)) candidates.push(n);
    const from = candidates.length > 0 ? candidates : Array.from(poolBins, (_, n) => n).filter((n) => !exclude.has(n) && !chosen.has(n));
    chosen.add(from[rng.int(from.length)]);
  }
  return [...chosen];
}

export async function runSteering(lm: CausalLM, items: readonly InterpItem[], o: SteeringOptions = {}): Promise<SteeringResult> {
  const L = lm.config.numLayers;
  const m = lm.config.intermediateSize;
  const layers = o.layers ?? Array.from({ length: L }, (_, l) => l);
  for (const l of layers) if (!Number.isInteger(l) || l < 0 || l >= L) throw new UserError(`--layers: ${l} is not a layer of this model (0..${L - 1})`);
  const k = o.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k >= m) throw new UserError(`--k must be an integer in 1..${m - 1}, got ${k}`);
  const lambda = o.lambda ?? 10;
  const factors = o.factors ?? DEFAULT_FACTORS;
  const scoreKind = o.score ?? 'magnitude';
  const nullSets = o.nullSets ?? 20;
  const seed = o.seed ?? 0;
  const correction = o.correction ?? 'holm';
  const { selection, evaluation } = splitItems(items, o.selectionFraction ?? 0.5, seed);
  // the random-layer null needs every layer's magnitudes
  const allLayers = Array.from({ length: L }, (_, l) => l);
  const scores = await scoreNeurons(lm, selection, allLayers, new Set(layers), lambda, o.batchSize ?? autoBatchSize(lm, selection, L * m + lm.config.hiddenSize));
  const bins = new Map(allLayers.map((l) => [l, magnitudeBins(scores.get(l)!.magnitude)]));
  // selections and null sets first: the unsteered run then caches resid_mid of every layer they touch
  const plans = layers.map((layer) => {
    const sc = scores.get(layer)!;
    const byMag = topIds(sc.score, k);
    const byDla = topIds(sc.dla, k);
    const selected = scoreKind === 'magnitude' ? byMag : byDla;
    const rng = new Rng(seed * 65_537 + layer);
    const selectedBins = selected.map((n) => bins.get(layer)![n]);
    const neuronSets = Array.from({ length: nullSets }, () => matchedSet(selectedBins, bins.get(layer)!, new Set(selected), rng));
    const others = allLayers.filter((l) => l !== layer);
    const layerSets = Array.from({ length: nullSets }, () => {
      const l = others.length > 0 ? others[rng.int(others.length)] : layer;
      return { layer: l, neurons: matchedSet(selectedBins, bins.get(l)!, l === layer ? new Set(selected) : new Set(), rng) };
    });
    return { layer, sc, byMag, byDla, selected, neuronSets, layerSets };
  });
  const touched = [...new Set(plans.flatMap((p) => [p.layer, ...p.layerSets.map((s) => s.layer)]))];
  const evalBatches = batchesOf(evaluation, o.batchSize ?? autoBatchSize(lm, evaluation, touched.length * lm.config.hiddenSize));
  const residMid = (l: number) => `blocks.${l}.hook_resid_mid`;
  const unsteered: Awaited<ReturnType<typeof forwardItems>>[] = [];
  for (const batch of evalBatches) unsteered.push(await forwardItems(lm, batch, { cache: touched.map(residMid) }));
  const base = { logprob: unsteered.flatMap((r) => r.metrics.map((x) => x.logprob)), correct: unsteered.flatMap((r) => r.metrics.map((x) => x.correct)) };
  const rs = resampleIndices(evaluation.length, o.resamples ?? 1000, seed);
  // Scaling neurons of layer l leaves layers < l and l's attention unchanged: the run is fed the
  // unsteered resid_mid at l and computes only from l's MLP on.
  const scaled = async (layer: number, neurons: number[], factor: number) => {
    const name = `blocks.${layer}.mlp.hook_post`;
    const scale = new Float32Array(m).fill(1);
    for (const n of neurons) scale[n] = factor;
    let b = 0;
    return evaluateItems(lm, evalBatches, () => ({ plan: { scale: [name], replace: [residMid(layer)] }, feeds: { [`scale:${name}`]: scale, [`replace:${residMid(layer)}`]: unsteered[b++].acts[residMid(layer)] } }));
  };
  const meanDelta = (x: number[], ref: number[]) => x.reduce((s, v, i) => s + v - ref[i], 0) / x.length;
  const bar = o.quiet ? null : progress('steering', layers.length * factors.length);
  const out: SteeringResult = { model: lm.source, score: scoreKind, lambda, k, correction, selection_ids: selection.map((x) => x.id), evaluation_ids: evaluation.map((x) => x.id), baseline: { logprob: base.logprob.reduce((a, b) => a + b, 0) / base.logprob.length, accuracy: base.correct.reduce((a, b) => a + b, 0) / base.correct.length }, layers: [] };
  for (const { layer, sc, byMag, byDla, selected, neuronSets, layerSets } of plans) {
    const inter = byMag.filter((n) => byDla.includes(n)).length;
    const entry: SteeringLayer = {
      layer,
      selected: selected.map((n) => ({ neuron: n, score: scoreKind === 'magnitude' ? sc.score[n] : sc.dla[n], magnitude: sc.magnitude[n], dla: sc.dla[n], overlap: sc.overlap[n], top_tokens: sc.topTokens[n].map((id) => tokenText(lm, id)) })),
      score_agreement: inter / (2 * k - inter),
      factors: [],
    };
    for (const factor of factors) {
      const obs = await scaled(layer, selected, factor);
      const nullNeuron: number[] = [];
      for (const set of neuronSets) nullNeuron.push(meanDelta((await scaled(layer, set, factor)).logprob, base.logprob));
      const nullLayer: number[] = [];
      for (const set of layerSets) nullLayer.push(meanDelta((await scaled(set.layer, set.neurons, factor)).logprob, base.logprob));
      const dl = diffInterval(obs.logprob, base.logprob, rs);
      const summary = (nulls: number[]): NullSummary => ({ sets: nulls.length, mean: nulls.reduce((a, b) => a + b, 0) / nulls.length, band: [quantile(nulls, 0.025), quantile(nulls, 0.975)], p: nullPValue(dl.value ?? 0, nulls) });
      entry.factors.push({ factor, delta_logprob: dl, delta_accuracy: diffInterval(obs.correct, base.correct, rs), null_neurons: summary(nullNeuron), null_layers: summary(nullLayer) });
      bar?.tick();
    }
    out.layers.push(entry);
  }
  bar?.stop();
  for (const [fi] of factors.entries()) {
    for (const key of ['null_neurons', 'null_layers'] as const) {
      const ps = out.layers.map((l) => l.factors[fi][key].p);
      adjust(ps, correction).forEach((p, li) => (out.layers[li].factors[fi][key].p_adjusted = p));
    }
  }
  return out;
}
