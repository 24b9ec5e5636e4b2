/**
 * A model pair with a planted circuit, built by hand: two copies of one random character model; in
 * the "planted" copy 12 neurons of layer 1's MLP are overwritten with a key → answer memory. Key
 * characters fall into 4 classes of 6; class j's 3 neurons have gate and up rows along the sum of
 * its keys' (normalized) embeddings, so they fire for those keys, and down columns along the class's
 * answer digit's embedding. Every other weight is identical, so the difference lives in those
 * neurons of that layer — and the neurons are shared across items, so selecting them on one split
 * and steering on another can work.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { writeCharModelDir } from '../../src/model/init.ts';

export const PLANTED_LAYER = 1;
export const PLANTED_NEURONS = Array.from({ length: 12 }, (_, i) => 7 + 13 * i);

/** Layer 2's MLP in *both* copies, with `carrier`: neurons that read each answer digit's direction and write it again. */
export const CARRIER_LAYER = 2;
const CARRIER_NEURONS = [5, 16, 27, 38];

export interface PlantedPair {
  base: CausalLM;
  planted: CausalLM;
  rows: Array<{ id: string; problem: string; answer: string; leaked: boolean }>;
}

/**
 * With `carrier`, layer 2's MLP (identical in both copies, so its weights do not change) amplifies
 * whatever answer direction reaches it: in the planted copy its output carries layer 1's change,
 * so patching it recovers the effect although resetting its weights removes nothing.
 */
export function plantedPair(o: { carrier?: { gain: number; out: number } } = {}): PlantedPair {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-planted-'));
  writeCharModelDir(dir, { seed: 3, config: { num_hidden_layers: 3 } });
  const base = CausalLM.load(dir);
  const planted = CausalLM.load(dir);
  // embeddings ×10 in both copies: the residual stream is then mostly the current token's embedding
  for (const lm of [base, planted]) for (const x of [lm.params.view('model.embed_tokens.weight')]) x.forEach((v, i) => (x[i] = 10 * v));
  const d = planted.config.hiddenSize;
  const m = planted.config.intermediateSize;
  const embed = planted.params.view('model.embed_tokens.weight');
  const tok = (c: string) => planted.tokenizer.encode(c, { addSpecialTokens: false })[0];
  const unit = (id: number) => {
    const row = embed.subarray(id * d, (id + 1) * d);
    const rms = Math.sqrt(row.reduce((s, x) => s + x * x, 0) / d);
    return Array.from(row, (x) => x / rms);
  };
  const keys = 'abcdefghijklmnopqrstuvwx';
  const answers = ['3', '5', '7', '9'];
  const rows = [...keys].map((c, i) => ({ id: `planted/${i}`, problem: `k${c}`, answer: answers[Math.floor(i / 6)], leaked: i % 2 === 0 }));
  const gate = planted.params.view(`model.layers.${PLANTED_LAYER}.mlp.gate_proj.weight`); // [m, d]
  const up = planted.params.view(`model.layers.${PLANTED_LAYER}.mlp.up_proj.weight`); // [m, d]
  const down = planted.params.view(`model.layers.${PLANTED_LAYER}.mlp.down_proj.weight`); // [d, m]
  answers.forEach((answer, j) => {
    const key = new Array<number>(d).fill(0);
    for (const c of keys.slice(6 * j, 6 * j + 6)) unit(tok(c)).forEach((x, q) => (key[q] += x));
    const target = unit(tok(answer));
    for (const n of PLANTED_NEURONS.slice(3 * j, 3 * j + 3)) {
      for (let q = 0; q < d; q++) {
        gate[n * d + q] = (4 * key[q]) / d;
        up[n * d + q] = (4 * key[q]) / d;
        down[q * m + n] = (0.15 * target[q]) / Math.sqrt(d);
      }
    }
  });
  if (o.carrier) {
    for (const lm of [base, planted]) {
      const cg = lm.params.view(`model.layers.${CARRIER_LAYER}.mlp.gate_proj.weight`);
      const cu = lm.params.view(`model.layers.${CARRIER_LAYER}.mlp.up_proj.weight`);
      const cd = lm.params.view(`model.layers.${CARRIER_LAYER}.mlp.down_proj.weight`);
      answers.forEach((answer, j) => {
        const target = unit(tok(answer));
        const n = CARRIER_NEURONS[j];
        for (let q = 0; q < d; q++) {
          cg[n * d + q] = (o.carrier!.gain * target[q]) / d;
          cu[n * d + q] = (o.carrier!.gain * target[q]) / d;
          cd[q * m + n] = (o.carrier!.out * target[q]) / Math.sqrt(d);
        }
      });
    }
  }
  return { base, planted, rows };
}
