/**
 * Logit lens and Jensen–Shannon divergences, in one pass over the items (per batch, nothing of
 * vocabulary size is kept beyond one position).
 *
 * Readout of a vector x at position p: log softmax(W_U(γ ⊙ x / s)), γ the final RMSNorm weight.
 * Residual-stream sites (resid_pre/mid/post) use s = rms(x) — what the final norm would do to them,
 * so the last layer's resid_post gives exactly the model's own next-token distribution. Component
 * sites (attn_out, mlp_out) use s = rms of the final residual stream at p: their logits are their
 * direct logit attribution (summed with the embedding's they give the model's logits); renormalizing
 * a lone component by its own RMS would throw its magnitude away.
 *
 * Positions: the ones that *predict* each answer token (ctxLen − 1 + k), not the answer tokens.
 * JSD (bits, full vocabulary, with the final norm): consecutive layers (resid_post of l−1 vs l, the
 * embedding standing for layer −1), the components of a layer (attention: resid_pre vs resid_mid;
 * MLP: resid_mid vs resid_post), and two models at the same site on identical tokens.
 */
import type { CausalLM } from '../model/causal-lm.ts';
import { rmsOf, unembed } from '../model/unembed.ts';
import { progress } from '../util/progress.ts';
import { autoBatchSize, forwardItems } from './forward.ts';
import { batchesOf, groupsOf, type InterpItem, predictingPosition, tokenText } from './items.ts';
import { type Interval, jsdFromProbs, meanInterval, probsAndEntropies, resampleIndices } from './stats.ts';

export const LENS_SITES = ['resid_pre', 'attn_out', 'resid_mid', 'mlp_out', 'resid_post'] as const;
export type LensSite = (typeof LENS_SITES)[number];
const isResidual = (s: LensSite) => s.startsWith('resid');
const hookOf = (l: number, s: LensSite) => `blocks.${l}.hook_${s}`;

export interface LensRow {
  id: string;
  model: string;
  label?: boolean;
  /** Index of the answer token predicted (0 = first) and the position that predicts it. */
  answer_token_index: number;
  position: number;
  answer_token: string;
  layer: number;
  site: LensSite;
  answer_logprob: number;
  /** 1 = the top token. */
  answer_rank: number;
  top: Array<{ token: string; id: number; logprob: number }>;
}

export interface LensOptions {
  topK?: number;
  batchSize?: number;
  resamples?: number;
  seed?: number;
  quiet?: boolean;
}

export interface LensSummary {
  readout: string;
  positions: string;
  models: string[];
  /** Mean answer log-prob and top-1 rate per model, site and layer, over items (each item's mean over its answer tokens). */
  lens: Array<{ model: string; group: string; site: LensSite; layer: number; answer_logprob: Interval; top1: Interval }>;
  jsd: {
    units: 'bits';
    consecutive: Array<{ model: string; group: string; layer: number; jsd: Interval }>;
    components: Array<{ model: string; group: string; layer: number; component: 'attn' | 'mlp'; jsd: Interval }>;
    between_models: Array<{ group: string; layer: number; site: LensSite; jsd: Interval }>;
  };
}

/** Log-probabilities of every (layer, site) readout at one position of one cached batch row. */
async function readouts(lm: CausalLM, acts: Record<string, Float32Array>, row: number, t: number, p: number): Promise<Float32Array> {
  const d = lm.config.hiddenSize;
  const layers = lm.config.numLayers;
  const at = (name: string) => acts[name].subarray((row * t + p) * d, (row * t + p + 1) * d);
  const v = lm.config.vocabSize;
  const finalRms = rmsOf(at(hookOf(layers - 1, 'resid_post')), lm.config.rmsNormEps);
  // resid_pre of layer l > 0 is resid_post of layer l − 1: unembedded once, its row copied
  const readout = (l: number, s: LensSite) => l > 0 && s === 'resid_pre' ? null : { l, s };
  const unique = Array.from({ length: layers }, (_, l) => LENS_SITES.map((s) => readout(l, s))).flat().filter((x) => x !== null);
  const vectors = new Float32Array(unique.length * d);
  const rms = new Float64Array(unique.length);
  unique.forEach(({ l, s }, k) => {
    const x = at(hookOf(l, s));
    vectors.set(x, k * d);
    rms[k] = isResidual(s) ? rmsOf(x, lm.config.rmsNormEps) : finalRms;
  });
  const logp = (await unembed(lm, vectors, rms)).logprobs;
  const out = new Float32Array(layers * LENS_SITES.length * v);
  let k = 0;
  for (let l = 0; l < layers; l++) {
    LENS_SITES.forEach((s, j) => {
      const row = readout(l, s) ? k++ : unique.findIndex((u) => u.l === l - 1 && u.s === 'resid_post');
      out.set(logp.subarray(row * v, (row + 1) * v), (l * LENS_SITES.length + j) * v);
    });
  }
  return out;
}

function rankAndTop(logp: Float32Array, off: number, v: number, gold: number, k: number): { rank: number; top: number[] } {
  const g = logp[off + gold];
  let rank = 1;
  const top: number[] = [];
  for (let i = 0; i < v; i++) {
    const x = logp[off + i];
    if (x > g) rank++;
    if (top.length < k || x > logp[off + top[top.length - 1]]) {
      let j = Math.min(top.length, k - 1);
      if (top.length < k) top.push(i);
      while (j > 0 && logp[off + top[j - 1]] < x) {
        top[j] = top[j - 1];
        j--;
      }
      top[j] = i;
    }
  }
  return { rank, top };
}

/**
 * Runs the lens on one or two models (named) over the items; `onRow` receives every lens row
 * (for logit_lens.jsonl); returns the aggregated lens and JSD summary.
 */
export async function runLens(
  models: ReadonlyArray<{ name: string; lm: CausalLM }>,
  items: readonly InterpItem[],
  onRow: (row: LensRow) => void,
  o: LensOptions = {},
): Promise<LensSummary> {
  const lm0 = models[0].lm;
  const layers = lm0.config.numLayers;
  const v = lm0.config.vocabSize;
  const nSites = LENS_SITES.length;
  const topK = o.topK ?? 10;
  const cache = [];
  for (let l = 0; l < layers; l++) for (const s of LENS_SITES) cache.push(hookOf(l, s));
  // per item (mean over its answer tokens): [model][layer*nSites+site] logprob / top1, jsd
  const n = items.length;
  const perItem = models.map(() => ({ logprob: new Float64Array(n * layers * nSites), top1: new Float64Array(n * layers * nSites), consecutive: new Float64Array(n * layers), attn: new Float64Array(n * layers), mlp: new Float64Array(n * layers) }));
  const between = new Float64Array(n * layers * nSites);
  const bar = o.quiet ? null : progress('logit lens', n);
  let itemIndex = 0;
  for (const batch of batchesOf(items, o.batchSize ?? autoBatchSize(lm0, items, models.length * cache.length * lm0.config.hiddenSize))) {
    const runs = [];
    for (const m of models) runs.push(await forwardItems(m.lm, batch, { cache }));
    for (let row = 0; row < batch.length; row++, itemIndex++) {
      const item = batch[row];
      const nTok = item.answerIds.length;
      for (let k = 0; k < nTok; k++) {
        const p = predictingPosition(item, k);
        const gold = item.answerIds[k];
        const dists: Array<{ p: Float32Array; entropy: Float64Array }> = [];
        for (let mi = 0; mi < models.length; mi++) {
          const { lm, name } = models[mi];
          const logp = await readouts(lm, runs[mi].acts, row, runs[mi].t, p);
          const probs = probsAndEntropies(logp, layers * nSites, v);
          dists.push(probs);
          const acc = perItem[mi];
          for (let l = 0; l < layers; l++) {
            for (let j = 0; j < nSites; j++) {
              const c = l * nSites + j;
              const { rank, top } = rankAndTop(logp, c * v, v, gold, topK);
              acc.logprob[itemIndex * layers * nSites + c] += logp[c * v + gold] / nTok;
              acc.top1[itemIndex * layers * nSites + c] += (rank === 1 ? 1 : 0) / nTok;
              onRow({
                id: item.id,
                model: name,
                ...(item.label === undefined ? {} : { label: item.label }),
                answer_token_index: k,
                position: p,
                answer_token: tokenText(lm, gold),
                layer: l,
                site: LENS_SITES[j],
                answer_logprob: logp[c * v + gold],
                answer_rank: rank,
                top: top.map((id) => ({ token: tokenText(lm, id), id, logprob: logp[c * v + id] })),
              });
            }
            const row = (s: LensSite, layer = l) => layer * nSites + LENS_SITES.indexOf(s);
            const jsd = (a: number, b: number) => jsdFromProbs(probs.p, a * v, probs.entropy[a], probs.p, b * v, probs.entropy[b], v);
            const prev = l === 0 ? row('resid_pre', 0) : row('resid_post', l - 1);
            acc.consecutive[itemIndex * layers + l] += jsd(prev, row('resid_post')) / nTok;
            acc.attn[itemIndex * layers + l] += jsd(row('resid_pre'), row('resid_mid')) / nTok;
            acc.mlp[itemIndex * layers + l] += jsd(row('resid_mid'), row('resid_post')) / nTok;
          }
        }
        if (dists.length === 2) {
          const [a, b] = dists;
          for (let c = 0; c < layers * nSites; c++) between[itemIndex * layers * nSites + c] += jsdFromProbs(a.p, c * v, a.entropy[c], b.p, c * v, b.entropy[c], v) / nTok;
        }
      }
      bar?.tick();
    }
  }
  bar?.stop();
  return summarize(models.map((m) => m.name), items, layers, perItem, models.length === 2 ? between : null, o);
}

function summarize(
  names: string[],
  items: readonly InterpItem[],
  layers: number,
  perItem: Array<{ logprob: Float64Array; top1: Float64Array; consecutive: Float64Array; attn: Float64Array; mlp: Float64Array }>,
  between: Float64Array | null,
  o: LensOptions,
): LensSummary {
  const nSites = LENS_SITES.length;
  const out: LensSummary = {
    readout: 'log softmax(W_U(γ ⊙ x / s)): s = rms(x) for resid_* sites (normed lens), s = rms(final residual) for attn_out/mlp_out (direct logit attribution)',
    positions: 'the position predicting each answer token (context length − 1 + k); per item the mean over its answer tokens',
    models: names,
    lens: [],
    jsd: { units: 'bits', consecutive: [], components: [], between_models: [] },
  };
  for (const { group, idx } of groupsOf(items)) {
    const rs = resampleIndices(idx.length, o.resamples ?? 1000, o.seed ?? 0);
    const pick = (arr: Float64Array, stride: number, c: number) => idx.map((i) => arr[i * stride + c]);
    names.forEach((model, mi) => {
      const acc = perItem[mi];
      for (let l = 0; l < layers; l++) {
        LENS_SITES.forEach((site, j) => {
          const c = l * nSites + j;
          out.lens.push({ model, group, site, layer: l, answer_logprob: meanInterval(pick(acc.logprob, layers * nSites, c), rs), top1: meanInterval(pick(acc.top1, layers * nSites, c), rs) });
        });
        out.jsd.consecutive.push({ model, group, layer: l, jsd: meanInterval(pick(acc.consecutive, layers, l), rs) });
        out.jsd.components.push({ model, group, layer: l, component: 'attn', jsd: meanInterval(pick(acc.attn, layers, l), rs) });
        out.jsd.components.push({ model, group, layer: l, component: 'mlp', jsd: meanInterval(pick(acc.mlp, layers, l), rs) });
      }
    });
    if (between) {
      for (let l = 0; l < layers; l++) {
        LENS_SITES.forEach((site, j) => out.jsd.between_models.push({ group, layer: l, site, jsd: meanInterval(pick(between, layers * nSites, l * nSites + j), rs) }));
      }
    }
  }
  return out;
}
