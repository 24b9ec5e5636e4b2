/**
 * Neural differential equation over the layer axis — correlational evidence only (no
 * intervention): it describes where, along depth, the residual-stream trajectories of two labeled
 * groups move apart, as seen through a learned latent space.
 *
 * Data: per item the trajectory h_0 … h_L (embedding, then every layer's resid_post) at the
 * position predicting the first answer token, each state divided by its RMS.
 * Model: a shared linear encoder E: ℝ^d → ℝ^k applied to every state; z(0) = E(h_0); on
 * [t, t+1) (block t) dz/dt = f(z, u, s) = W₂ tanh(W₁(z + u + s/L · a + c) + b₁) + b₂ with u = E(h_{t+1}),
 * the encoded output of block t driving the field (a controlled ODE), integrated with classic RK4
 * (step 0.5) to t = L; a linear classifier on z(L). Without the drive, z(t) would be a function of z(0)
 * alone — the public code's design, in which the "layer" axis is a pseudo-time unrelated to the
 * layers (and on a prompt whose states at the first layer coincide, nothing could separate).
 * Loss = BCE + λ · mean_t ‖z(t) − E(h_t)‖² / k (λ = 0 by default). Full-batch AdamW (weight decay
 * 1e-2), seeded; stratified train / validation / held-out split; the parameters of the epoch with
 * the lowest validation loss are kept.
 * Reported on held-out items: accuracy and AUROC of the classifier; per integer t the separation
 * force F(t) = ‖mean f(z_i(t), u_i,t, t) over positives − over negatives‖ and the latent distance between
 * the class means, each with a bootstrap interval over held-out items.
 */
import { auroc } from '../audit/auroc.ts';
import type { CausalLM } from '../model/causal-lm.ts';
import * as T from '../tensor/index.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import type { InterpItem } from './items.ts';
import { probeFeatures } from './probes.ts';
import { bootstrapStat, type Interval, resampleIndices } from './stats.ts';
import { splitItems } from './steering.ts';

export interface NdeOptions {
  latent?: number;
  hidden?: number;
  epochs?: number;
  lr?: number;
  weightDecay?: number;
  trajectoryWeight?: number;
  heldOutFraction?: number;
  batchSize?: number;
  resamples?: number;
  seed?: number;
  quiet?: boolean;
}

export interface NdeResult {
  model: string;
  evidence: 'correlational';
  train_items: number;
  validation_items: number;
  /** Epoch whose parameters were kept (lowest validation loss). */
  best_epoch: number;
  held_out_items: number;
  train_accuracy: number;
  held_out_accuracy: Interval;
  held_out_auroc: number | null;
  final_loss: number;
  /** t = 0 … L (0 = embedding, t = block t−1's output). */
  force: Array<{ t: number; force: Interval; distance: Interval }>;
}

const STEP = 0.5;

function specs(d: number, k: number, m: number): T.ParamSpec[] {
  return [
    { name: 'enc.w', shape: [k, d] },
    { name: 'enc.b', shape: [k] },
    { name: 'time.a', shape: [k] },
    { name: 'time.c', shape: [k] },
    { name: 'f1.w', shape: [m, k] },
    { name: 'f1.b', shape: [m] },
    { name: 'f2.w', shape: [k, m] },
    { name: 'f2.b', shape: [k] },
    { name: 'cls.w', shape: [1, k] },
    { name: 'cls.b', shape: [1] },
  ];
}

/** Traces encoder, RK4 trajectory, classifier; returns logits [n], z(t) and f(z(t), t) at integer t, and the loss parts. */
function trace(g: T.Graph, store: T.ParamStore, n: number, states: number, d: number, lambda: number) {
  const p = Object.fromEntries(store.specs.map((s) => [s.name, g.input(s.name, 'float32', s.shape)]));
  const x = g.input('x', 'float32', [n, states, d]);
  const y = g.input('y', 'float32', [n]);
  const L = states - 1;
  const encoded = T.linear(x, p['enc.w'], p['enc.b']); // [n, states, k]
  const k = encoded.shape[2];
  const at = (t: number) => T.reshape(T.slice(encoded, [t], [t + 1], [1]), [n, k]);
  const field = (z: T.Tensor, u: T.Tensor, t: number) =>
    T.add(T.linear(T.tanh(T.linear(T.add(T.add(T.add(z, u), T.mul(p['time.a'], t / L)), p['time.c']), p['f1.w'], p['f1.b'])), p['f2.w']), p['f2.b']);
  let z = at(0);
  const zs = [z];
  const fs = [field(z, at(0), 0)];
  for (let t = 0; t < L; t++) {
    const u = at(t + 1);
    const f = (zz: T.Tensor, tt: number) => field(zz, u, tt);
    for (let s = 0; s < 1 / STEP; s++) {
      const t0 = t + s * STEP;
      const k1 = f(z, t0);
      const k2 = f(T.add(z, T.mul(k1, STEP / 2)), t0 + STEP / 2);
      const k3 = f(T.add(z, T.mul(k2, STEP / 2)), t0 + STEP / 2);
      const k4 = f(T.add(z, T.mul(k3, STEP)), t0 + STEP);
      z = T.add(z, T.mul(T.add(T.add(k1, T.mul(k2, 2)), T.add(T.mul(k3, 2), k4)), STEP / 6));
    }
    zs.push(z);
    fs.push(field(z, at(t + 1), t + 1));
  }
  const logits = T.reshape(T.linear(z, p['cls.w'], p['cls.b']), [n]);
  // BCE with logits: softplus(s) − y·s
  const bce = T.reduceMean(T.sub(T.softplus(logits), T.mul(y, logits)));
  const traj = T.reduceMean(T.concat(zs.map((zt, t) => T.reduceMean(T.mul(T.sub(zt, at(t)), T.sub(zt, at(t))), [1])), 0));
  const loss = T.add(bce, T.mul(traj, lambda));
  const stack = (ts: T.Tensor[]) => T.concat(ts.map((v) => T.unsqueeze(v, 1)), 1);
  return { p, logits, loss, bce, z: stack(zs), f: stack(fs) };
}

function feedsOf(store: T.ParamStore, x: Float32Array, y: Float32Array): T.Feeds {
  return { ...Object.fromEntries(store.specs.map((s) => [s.name, store.view(s.name)])), x, y };
}

export async function runNde(lm: CausalLM, items: readonly InterpItem[], o: NdeOptions = {}): Promise<NdeResult> {
  if (items.some((x) => x.label === undefined)) throw new UserError('the NDE needs a boolean `leaked` label on every item');
  const seed = o.seed ?? 0;
  const { selection: trainAll, evaluation: test } = splitItems(items, 1 - (o.heldOutFraction ?? 0.3), seed);
  // an inner validation split picks the epoch (small groups overfit within a few dozen steps)
  const { selection: train, evaluation: val } = splitItems(trainAll, 0.8, seed + 1);
  if (new Set(train.map((x) => x.label)).size < 2 || new Set(test.map((x) => x.label)).size < 2) throw new UserError('the NDE needs both labels in the training and the held-out items');
  const d = lm.config.hiddenSize;
  const states = lm.config.numLayers + 1;
  const k = o.latent ?? 16;
  const m = o.hidden ?? 64;
  const lambda = o.trajectoryWeight ?? 0;
  const data = async (xs: InterpItem[]) => {
    const feats = await probeFeatures(lm, xs, o.batchSize);
    const x = new Float32Array(xs.length * states * d);
    xs.forEach((_, i) => {
      for (let s = 0; s < states; s++) {
        const v = feats[s].subarray(i * d, (i + 1) * d);
        let ss = 0;
        for (const a of v) ss += a * a;
        const r = Math.sqrt(ss / d) || 1;
        for (let j = 0; j < d; j++) x[(i * states + s) * d + j] = v[j] / r;
      }
    });
    return { x, y: Float32Array.from(xs, (it) => (it.label ? 1 : 0)) };
  };
  const tr = await data(train);
  const va = await data(val);
  const te = await data(test);
  const store = new T.ParamStore(specs(d, k, m));
  const rng = new Rng(seed + 17);
  for (const s of store.specs) {
    const v = store.view(s.name);
    if (s.shape.length === 2) rng.fillNormal(v, 0, 1 / Math.sqrt(s.shape[1]));
  }
  const trainGraph = (() => {
    const g = new T.Graph();
    const t = trace(g, store, train.length, states, d, lambda);
    const grads = T.grad(t.loss, store.specs.map((s) => t.p[s.name]));
    return T.compile(g, { loss: t.loss, logits: t.logits, ...Object.fromEntries(store.specs.map((s, i) => [`grad:${s.name}`, grads[i]])) });
  })();
  const evalGraph = (n: number) => {
    const g = new T.Graph();
    const t = trace(g, store, n, states, d, lambda);
    return T.compile(g, { logits: t.logits, f: t.f, z: t.z, bce: t.bce });
  };
  const valGraph = await evalGraph(val.length);
  const optimizer = new T.AdamW(store, { weightDecay: o.weightDecay ?? 1e-2, maxGradNorm: 1 });
  let best = { loss: Infinity, epoch: 0, params: store.data.slice() };
  const epochs = o.epochs ?? 300;
  const bar = o.quiet ? null : progress('nde', epochs);
  let finalLoss = NaN;
  let trainLogits: Float32Array = new Float32Array(0);
  const graph = await trainGraph;
  for (let e = 0; e < epochs; e++) {
    const out = await graph.run(feedsOf(store, tr.x, tr.y));
    finalLoss = (out.loss as Float32Array)[0];
    trainLogits = out.logits as Float32Array;
    const valLoss = ((await valGraph.run(feedsOf(store, va.x, va.y))).bce as Float32Array)[0];
    if (valLoss < best.loss) best = { loss: valLoss, epoch: e, params: store.data.slice() };
    optimizer.step(Object.fromEntries(store.specs.map((s) => [s.name, out[`grad:${s.name}`] as Float32Array])), o.lr ?? 1e-2);
    bar?.tick(1, { loss: finalLoss });
  }
  bar?.stop();
  store.data.set(best.params);
  const out = await (await evalGraph(test.length)).run(feedsOf(store, te.x, te.y));
  const logits = out.logits as Float32Array;
  const fz = out.f as Float32Array;
  const zz = out.z as Float32Array;
  const correct = Array.from(logits, (s, i) => ((s > 0 ? 1 : 0) === te.y[i] ? 1 : 0));
  const trainCorrect = Array.from(trainLogits, (s, i) => ((s > 0 ? 1 : 0) === tr.y[i] ? 1 : 0));
  const rs = resampleIndices(test.length, o.resamples ?? 1000, seed);
  const gap = (arr: Float32Array, t: number, idx: ArrayLike<number> | null) => {
    const n = idx ? idx.length : test.length;
    const pos = new Float64Array(k);
    const neg = new Float64Array(k);
    let np = 0;
    let nn = 0;
    for (let q = 0; q < n; q++) {
      const i = idx ? idx[q] : q;
      const tgt = te.y[i] ? pos : neg;
      for (let j = 0; j < k; j++) tgt[j] += arr[(i * states + t) * k + j];
      if (te.y[i]) np++;
      else nn++;
    }
    if (np === 0 || nn === 0) return NaN;
    let s = 0;
    for (let j = 0; j < k; j++) s += (pos[j] / np - neg[j] / nn) ** 2;
    return Math.sqrt(s);
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    model: lm.source,
    evidence: 'correlational',
    train_items: train.length,
    validation_items: val.length,
    best_epoch: best.epoch,
    held_out_items: test.length,
    train_accuracy: mean(trainCorrect),
    held_out_accuracy: bootstrapStat(rs, (idx) => (idx ? mean(Array.from(idx, (i) => correct[i])) : mean(correct))),
    held_out_auroc: auroc(Array.from(logits), Array.from(te.y, (v) => v === 1)),
    final_loss: finalLoss,
    force: Array.from({ length: states }, (_, t) => ({ t, force: bootstrapStat(rs, (idx) => gap(fz, t, idx)), distance: bootstrapStat(rs, (idx) => gap(zz, t, idx)) })),
  };
}
