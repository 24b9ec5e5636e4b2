/**
 * `rlvr bench interp`: wall and CPU time of each interp analysis (the machine is shared: CPU
 * seconds are the steadier number; compare same-run ratios).
 * - organism (`--organism 1`): the demo's interp phase (src/demo/interp-phase.ts, its limits) and
 *   `runInterpShowcase` (every analysis, `--showcase 1`), base = the bundled organism, RL = a
 *   seeded perturbation of its layer-1 MLP (a stand-in checkpoint; which layers pass the necessity
 *   check, and so where nulls are drawn, depends on it).
 * - big (`--big 1`): a 0.5B Qwen2-shaped random checkpoint (Qwen2.5-0.5B config, char tokenizer)
 *   and a copy with layer 12's MLP perturbed, both in memory, on `--items` organism problems: load
 *   time, one metric pass over all items (the unit every causal analysis repeats), the logit lens
 *   + JSD of both models on `--lens-items` items, one patching cell (layer 12 mlp_out, pruned: the
 *   run starts at layer 12's MLP), the reset of layer 12's MLP, and the value-vector readout of one
 *   layer (what steering pays per steered layer). Whole analyses for all items are extrapolated
 *   from these and say so.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { interpOnCheckpoint } from '../demo/interp-phase.ts';
import { runAblations } from '../interp/ablation.ts';
import { autoBatchSize, evaluateItems } from '../interp/forward.ts';
import { batchesOf, loadInterpItems } from '../interp/items.ts';
import { runLens } from '../interp/lens.ts';
import { runPatching } from '../interp/patching.ts';
import { runInterpShowcase } from '../interp/showcase.ts';
import { CausalLM } from '../model/causal-lm.ts';
import { rmsOf, unembed } from '../model/unembed.ts';
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

/** Wall and CPU (user + system) seconds of `fn`. */
const timed = async <T>(fn: () => Promise<T>): Promise<[T, { wall: number; cpu: number }]> => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await fn();
  const c = process.cpuUsage(c0);
  return [r, { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 }];
};

export async function runBench(args: string[]): Promise<object> {
  const opt = numericArgs(args, { big: 0, items: 100, lensItems: 4, organism: 1, showcase: 1 });
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
    const phaseDir = join(BENCH_DIR, 'interp-demo-phase');
    rmSync(join(phaseDir, 'interp.json'), { force: true });
    const [phase, phaseTime] = await timed(() => interpOnCheckpoint(BUNDLED_ORGANISM_DIR, rlDir, 'perturbed layer-1 MLP', 0, phaseDir, { quiet: true }));
    const n = phase.result;
    result.organism_demo_phase = { items: n.items, seconds: n.timings, total: phaseTime, anchors: n.anchors, null_layers: n.layers.filter((l) => l.null_p95 !== null).map((l) => l.layer), report: n.report };
    if (opt.showcase) {
      const [summary, total] = await timed(() => runInterpShowcase(BUNDLED_ORGANISM_DIR, rlDir, [leaked, clean], join(BENCH_DIR, 'interp-organism'), { quiet: true }));
      result.organism_showcase = { items: summary.items, seconds: summary.timings, total, anchors: summary.anchors, report: summary.report };
    }
    result.peak_rss_mb_after_organism = process.resourceUsage().maxRSS / 1024;
  }
  if (opt.big) {
    const dir = benchModelDir('qwen2-0.5b-random', QWEN2_05B, 'BF16');
    const [base, loadBase] = await timed(async () => CausalLM.load(dir));
    const rl = CausalLM.load(dir);
    perturbMlp(rl, 12, 7);
    const half = Math.ceil(opt.items / 2);
    const items = [...(await loadInterpItems(base, leaked, { limit: half })), ...(await loadInterpItems(base, clean, { limit: opt.items - half }))];
    const batch = autoBatchSize(base, items, 0);
    const [, pass] = await timed(() => evaluateItems(rl, batchesOf(items, batch)));
    const lensItems = items.slice(0, opt.lensItems);
    const [, lens] = await timed(() => runLens([{ name: 'base', lm: base }, { name: 'rl', lm: rl }], lensItems, () => {}, { quiet: true, resamples: 100 }));
    const [, cell] = await timed(() => runPatching(base, rl, items, { sites: ['mlp_out'], layers: [12], nullDraws: 0, quiet: true, resamples: 100 }));
    const [, reset] = await timed(() => runAblations(rl, base, items, { kinds: ['reset'], parts: ['mlp'], layers: [12], quiet: true, resamples: 100 }));
    const d = base.config.hiddenSize;
    const m = base.config.intermediateSize;
    const down = base.params.view('model.layers.12.mlp.down_proj.weight');
    const [, readout] = await timed(async () => {
      for (let start = 0; start < m; start += 256) {
        const c = Math.min(256, m - start);
        const v = new Float32Array(c * d);
        for (let i = 0; i < c; i++) for (let j = 0; j < d; j++) v[i * d + j] = down[j * m + start + i];
        await unembed(base, v, Array.from({ length: c }, (_, i) => rmsOf(v, 1e-6, i * d, d)));
      }
    });
    const L = base.config.numLayers;
    // a pruned run at layer l costs about (L − l + ½)/L of a pass; averaged over the layers ≈ ½ + 1/L
    const prunedShare = 0.5 + 1 / L;
    result.big = {
      dir,
      parameters: base.params.data.length,
      items: items.length,
      tokens: items.reduce((s, x) => s + x.ids.length, 0),
      batch_size: batch,
      measured: {
        load_one_model: loadBase,
        metric_pass_all_items: pass,
        lens_both_models: { items: lensItems.length, ...lens },
        patch_one_cell_layer12_all_items: { note: 'source + target passes (both cached) + one patched run pruned to layers 12–23', ...cell },
        reset_layer12_mlp_all_items: { note: 'RL + base passes + one pruned run', ...reset },
        value_vector_readout_one_layer: readout,
      },
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      extrapolated_seconds_for_these_items: {
        note: 'not measured end to end: runs × the measured metric pass (a pruned run ≈ ½ + 1/L of one), lens per item × items; linear in items',
        ...Object.fromEntries(
          (['wall', 'cpu'] as const).map((k) => [
            k,
            {
              logit_lens_jsd_both_models: (lens[k] / lensItems.length) * items.length,
              patching_3_sites_all_layers_no_null: (2 + 3 * L * prunedShare) * pass[k],
              patching_null_60_draws_per_tested_layer: 60 * prunedShare * pass[k],
              ablation_reset_mlp_attn_all_layers: (2 + 2 * L * prunedShare) * pass[k],
              steering_one_layer_factor0_20_null_sets: readout[k] + 0.5 * pass[k] + 0.5 * (1 + 21 * prunedShare) * pass[k],
            },
          ]),
        ),
      },
    };
  }
  return result;
}
