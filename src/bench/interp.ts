/**
 * `rlvr bench interp`: wall time of each interp analysis.
 * - organism: `runInterpShowcase` on the bundled organism (base) against a seeded perturbation of
 *   its layer-1 MLP (a stand-in RL checkpoint; the timing does not depend on what changed), on
 *   its 50 leaked + 50 clean items: seconds per analysis, total, peak RSS.
 * - big (`--big 1`): a 0.5B Qwen2-shaped random checkpoint (Qwen2.5-0.5B config, char tokenizer)
 *   and a copy with one MLP perturbed, both in memory, on `--items` organism problems: load time,
 *   one pass of the metric forward over all items (the unit every causal analysis repeats),
 *   the logit lens of both models on `--lens-items` items, one patching cell over all items, and
 *   the value-vector readout of one layer (the cost steering pays per steered layer). Whole-
 *   analysis times for all items are then passes × the measured pass time, and say so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateItems, autoBatchSize } from '../interp/forward.ts';
import { batchesOf, loadInterpItems } from '../interp/items.ts';
import { runLens } from '../interp/lens.ts';
import { runPatching } from '../interp/patching.ts';
import { runInterpShowcase } from '../interp/showcase.ts';
import { CausalLM } from '../model/causal-lm.ts';
import { unembed, rmsOf } from '../model/unembed.ts';
import { BUNDLED_ORGANISM_DIR } from '../organism/index.ts';
import { defaultThreads } from '../tensor/index.ts';
import { Rng } from '../util/rng.ts';
import { BENCH_DIR, benchModelDir, QWEN2_05B } from './model.ts';
import { numericArgs } from './timing.ts';

function perturbMlp(lm: CausalLM, layer: number, seed: number): void {
  const rng = new Rng(seed);
  for (const part of ['gate_proj', 'up_proj', 'down_proj']) {
    const w = lm.params.view(`model.layers.${layer}.mlp.${part}.weight`);
    let ss = 0;
    for (const x of w) ss += x * x;
    const std = Math.sqrt(ss / w.length);
    for (let i = 0; i < w.length; i++) w[i] += 0.3 * std * rng.normal();
  }
}

const seconds = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
};

export async function runBench(args: string[]): Promise<object> {
  const opt = numericArgs(args, { big: 0, items: 100, lensItems: 4, organism: 1 });
  const result: Record<string, unknown> = { suite: 'interp', threads: defaultThreads() };
  const leaked = join(BUNDLED_ORGANISM_DIR, 'leaked.jsonl');
  const clean = join(BUNDLED_ORGANISM_DIR, 'clean.jsonl');
  if (opt.organism) {
    const rlDir = join(BENCH_DIR, 'organism-perturbed');
    if (!existsSync(join(rlDir, 'config.json'))) {
      const lm = CausalLM.load(BUNDLED_ORGANISM_DIR);
      perturbMlp(lm, 1, 7);
      lm.save(rlDir);
    }
    const [summary, total] = await seconds(() => runInterpShowcase(BUNDLED_ORGANISM_DIR, rlDir, [leaked, clean], join(BENCH_DIR, 'interp-organism'), { quiet: true }));
    result.organism = { items: summary.items, seconds: summary.timings, total_seconds: total, peak_rss_mb: process.resourceUsage().maxRSS / 1024, anchors: summary.anchors, report: summary.report };
  }
  if (opt.big) {
    const dir = benchModelDir('qwen2-0.5b-random', QWEN2_05B, 'BF16');
    const [base, loadBase] = await seconds(async () => CausalLM.load(dir));
    const rl = CausalLM.load(dir);
    perturbMlp(rl, 12, 7);
    const half = Math.ceil(opt.items / 2);
    const items = [...(await loadInterpItems(base, leaked, { limit: half })), ...(await loadInterpItems(base, clean, { limit: opt.items - half }))];
    const batch = autoBatchSize(base, items, 0);
    const [, pass] = await seconds(() => evaluateItems(rl, batchesOf(items, batch)));
    const lensItems = items.slice(0, opt.lensItems);
    const [, lens] = await seconds(() => runLens([{ name: 'base', lm: base }, { name: 'rl', lm: rl }], lensItems, () => {}, { quiet: true, resamples: 100 }));
    const [, cell] = await seconds(() => runPatching(base, rl, items, { sites: ['mlp_out'], layers: [12], nullDraws: 0, quiet: true, resamples: 100 }));
    const d = base.config.hiddenSize;
    const m = base.config.intermediateSize;
    const down = base.params.view('model.layers.12.mlp.down_proj.weight');
    const [, readout] = await seconds(async () => {
      for (let start = 0; start < m; start += 256) {
        const c = Math.min(256, m - start);
        const v = new Float32Array(c * d);
        for (let i = 0; i < c; i++) for (let j = 0; j < d; j++) v[i * d + j] = down[j * m + start + i];
        await unembed(base, v, Array.from({ length: c }, (_, i) => rmsOf(v, 1e-6, i * d, d)));
      }
    });
    const L = base.config.numLayers;
    result.big = {
      dir,
      parameters: base.params.data.length,
      items: items.length,
      tokens: items.reduce((s, x) => s + x.ids.length, 0),
      batch_size: batch,
      measured_seconds: { load_one_model: loadBase, metric_pass_all_items: pass, lens_both_models: { items: lensItems.length, seconds: lens }, patch_one_cell_all_items: cell, value_vector_readout_one_layer: readout },
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      extrapolated_seconds_for_these_items: {
        note: 'for the items of this run: passes × the measured metric pass (or lens per item × items); not measured end to end; scale linearly with items',
        logit_lens_jsd: (lens / lensItems.length) * items.length,
        patching_3_sites_all_positions_no_null: (2 + 3 * L) * pass,
        patching_mlp_out_null_20: 20 * L * pass,
        ablation_reset_randomize3_keeponly_mlp_attn: 2 * L * (1 + 3 + 1) * pass,
        steering_one_layer_6_factors_2x20_nulls: readout + 6 * 41 * pass * 0.5,
      },
    };
  }
  return result;
}
