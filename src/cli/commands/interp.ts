import { resolve } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { type AblationKind } from '../../interp/ablation.ts';
import { DEFAULT_CONTEXT } from '../../interp/items.ts';
import { type PatchPositions, PATCH_SITES, type PatchSite } from '../../interp/patching.ts';
import { ablateJob, anchorsJob, type DataOptions, lensJob, ndeJob, patchJob, probeJob, steerJob } from '../../interp/run.ts';
import type { Correction } from '../../interp/stats.ts';
import { DEFAULT_FACTORS, type NeuronScore } from '../../interp/steering.ts';
import type { LayerPart } from '../../model/layer-weights.ts';
import { UserError } from '../../util/errors.ts';

const integer = (flag: string, min = 0) => (text: string): number => {
  const v = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(v) || v < min) throw new UserError(`${flag} must be an integer ≥ ${min}, got '${text}'`);
  return v;
};
const real = (flag: string, ok: (v: number) => boolean = Number.isFinite) => (text: string): number => {
  const v = Number(text);
  if (text.trim() === '' || !ok(v)) throw new UserError(`${flag}: invalid value '${text}'`);
  return v;
};
const list = <T>(flag: string, parse: (s: string) => T) => (text: string): T[] => {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new UserError(`${flag}: empty entry in '${text}'`);
  return parts.map(parse);
};
const oneOf = <T extends string>(flag: string, allowed: readonly T[]) => (text: string): T => {
  if (!allowed.includes(text as T)) throw new UserError(`${flag} must be one of ${allowed.join(', ')}, got '${text}'`);
  return text as T;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface Common {
  dataset: string[];
  limit?: number;
  context: string;
  out: string;
  seed: number;
  batchSize?: number;
  resamples: number;
  correction: Correction;
}

function data(f: Common): DataOptions {
  return { datasets: f.dataset, limit: f.limit, context: f.context };
}

function analysis(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption('--dataset <file>', 'benchmark file or name with gold answers (and a `leaked` label for probes/NDE); repeat for several', collect)
    .requiredOption('--out <dir>', 'output directory')
    .option('--limit <n>', 'first N items of each dataset', integer('--limit', 1))
    .option('--context <template>', 'text before the answer; {problem} is replaced by the item’s problem, any other {field} by that field of its row (v3 organism: {problem}\\n```python\\nprint({expression})\\n```\\nOutput: )', DEFAULT_CONTEXT)
    .option('--seed <n>', 'seed for splits, nulls and bootstrap', integer('--seed'), 0)
    .option('--batch-size <n>', 'items per forward pass', integer('--batch-size', 1))
    .option('--resamples <n>', 'bootstrap resamples', integer('--resamples', 10), 1000)
    .option('--correction <method>', 'multiple comparisons across layers: holm or bh', oneOf('--correction', ['holm', 'bh'] as const), 'holm')
    .showHelpAfterError(false)
    .configureOutput({ outputError: () => {} })
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) throw err;
      throw new UserError(`interp ${name}: ${err.message.replace(/^error: /, '')}`);
    });
}

const say = (text: string) => process.stderr.write(`${text}\n`);

export function registerInterp(program: Command): void {
  const interp = program.command('interp').description('look inside a model or a checkpoint pair: logit lens, JSD, patching, ablations, probes, steering, NDE, anchor layers');
  const layers = (flag: string) => list(flag, integer(flag));

  analysis(interp, 'logit-lens', 'final norm + unembedding of every layer’s residual stream and components at the positions predicting the answer (logit_lens.jsonl, logit_lens.json, jsd.json)')
    .requiredOption('--model <dir>', 'model directory')
    .option('--base <dir>', 'a second model of the same shape (adds base-vs-model JSD)')
    .option('--top-k <n>', 'top tokens per readout', integer('--top-k', 1), 10)
    .action(async (f: Common & { model: string; base?: string; topK: number }) => {
      await lensJob({ model: f.model, base: f.base, data: data(f), out: resolve(f.out), lens: { topK: f.topK, batchSize: f.batchSize, resamples: f.resamples, seed: f.seed } });
      say(`wrote ${resolve(f.out)}/logit_lens.jsonl, logit_lens.json, jsd.json, logit_lens.html`);
    });

  analysis(interp, 'jsd', 'Jensen–Shannon divergences (bits, full vocabulary, final norm): consecutive layers, components, base vs model (jsd.json)')
    .requiredOption('--model <dir>', 'model directory')
    .option('--base <dir>', 'a second model of the same shape (adds base-vs-model JSD)')
    .action(async (f: Common & { model: string; base?: string }) => {
      await lensJob({ model: f.model, base: f.base, data: data(f), out: resolve(f.out), rows: false, lens: { batchSize: f.batchSize, resamples: f.resamples, seed: f.seed } });
      say(`wrote ${resolve(f.out)}/jsd.json, logit_lens.json, logit_lens.html`);
    });

  analysis(interp, 'patch', 'activation patching from --source into --target per layer × site × positions; normalized recovery with CIs and a random-direction null (patching.json)')
    .requiredOption('--target <dir>', 'model patched into (e.g. the base model)')
    .requiredOption('--source <dir>', 'model whose activations are patched in (e.g. the RL model)')
    .option('--sites <list>', `comma list of ${PATCH_SITES.join(', ')}`, list('--sites', oneOf('--sites', PATCH_SITES)), ['attn_out', 'mlp_out', 'resid_post'] as PatchSite[])
    .option('--positions <list>', 'all and/or last (the last context position)', list('--positions', oneOf('--positions', ['all', 'last'] as const)), ['all'] as PatchPositions[])
    .option('--layers <list>', 'layers (default all)', layers('--layers'))
    .option('--null-sites <list>', 'sites given the random-direction null', list('--null-sites', oneOf('--null-sites', PATCH_SITES)), ['mlp_out'] as PatchSite[])
    .option('--null-positions <list>', 'position modes given the null', list('--null-positions', oneOf('--null-positions', ['all', 'last'] as const)), ['all'] as PatchPositions[])
    .option('--null-draws <n>', 'random-direction draws per cell', integer('--null-draws'), 20)
    .action(async (f: Common & { target: string; source: string; sites: PatchSite[]; positions: PatchPositions[]; layers?: number[]; nullSites: PatchSite[]; nullPositions: PatchPositions[]; nullDraws: number }) => {
      await patchJob({ target: f.target, source: f.source, data: data(f), out: resolve(f.out), patch: { sites: f.sites, positions: f.positions, layers: f.layers, nullSites: f.nullSites, nullPositions: f.nullPositions, nullDraws: f.nullDraws, batchSize: f.batchSize, resamples: f.resamples, seed: f.seed, correction: f.correction } });
      say(`wrote ${resolve(f.out)}/patching.json, patching.html`);
    });

  analysis(interp, 'ablate', 'reset a layer’s MLP/attention to the base weights, randomize it (norm-matched), or keep only its RL weights (ablation.json)')
    .requiredOption('--rl <dir>', 'the model ablated')
    .requiredOption('--base <dir>', 'the reference weights')
    .option('--kinds <list>', 'reset, randomize, keep-only', list('--kinds', oneOf('--kinds', ['reset', 'randomize', 'keep-only'] as const)), ['reset', 'randomize', 'keep-only'] as AblationKind[])
    .option('--parts <list>', 'mlp, attn', list('--parts', oneOf('--parts', ['mlp', 'attn'] as const)), ['mlp', 'attn'] as LayerPart[])
    .option('--layers <list>', 'layers (default all)', layers('--layers'))
    .option('--draws <n>', 'random matrices per randomized layer', integer('--draws', 1), 3)
    .action(async (f: Common & { rl: string; base: string; kinds: AblationKind[]; parts: LayerPart[]; layers?: number[]; draws: number }) => {
      await ablateJob({ rl: f.rl, base: f.base, data: data(f), out: resolve(f.out), ablation: { kinds: f.kinds, parts: f.parts, layers: f.layers, draws: f.draws, batchSize: f.batchSize, resamples: f.resamples, seed: f.seed } });
      say(`wrote ${resolve(f.out)}/ablation.json, ablation.html`);
    });

  analysis(interp, 'probe', 'per-layer logistic-regression probes of the `leaked` label, cross-validated AUROC with a permutation null (probes.json)')
    .requiredOption('--model <dir>', 'model directory')
    .option('--folds <n>', 'cross-validation folds', integer('--folds', 2), 5)
    .option('--repeats <n>', 'cross-validation repeats', integer('--repeats', 1), 2)
    .option('--c <x>', 'inverse L2 strength (scikit-learn C)', real('--c', (v) => v > 0), 1)
    .option('--permutations <n>', 'label permutations for the null', integer('--permutations'), 50)
    .action(async (f: Common & { model: string; folds: number; repeats: number; c: number; permutations: number }) => {
      await probeJob({ model: f.model, data: data(f), out: resolve(f.out), probe: { folds: f.folds, repeats: f.repeats, c: f.c, permutations: f.permutations, batchSize: f.batchSize, resamples: f.resamples, seed: f.seed, correction: f.correction } });
      say(`wrote ${resolve(f.out)}/probes.json, probes.html`);
    });

  analysis(interp, 'steer', 'score MLP neurons on a selection split, scale the top-k on the evaluation split, against magnitude-matched random neurons and random layers (steering.json)')
    .requiredOption('--model <dir>', 'model directory')
    .option('--layers <list>', 'layers (default all)', layers('--layers'))
    .option('--k <n>', 'neurons per layer', integer('--k', 1), 10)
    .option('--lambda <x>', 'weight of the answer-token overlap in the magnitude score', real('--lambda', (v) => v >= 0), 10)
    .option('--score <name>', 'magnitude or dla', oneOf('--score', ['magnitude', 'dla'] as const), 'magnitude' as NeuronScore)
    .option('--factors <list>', 'scale factors', list('--factors', real('--factors', (v) => v >= 0)), DEFAULT_FACTORS)
    .option('--null-sets <n>', 'random neuron sets per null (≥ 20 recommended)', integer('--null-sets', 1), 20)
    .option('--selection-fraction <x>', 'share of items used to select neurons', real('--selection-fraction', (v) => v > 0 && v < 1), 0.5)
    .action(async (f: Common & { model: string; layers?: number[]; k: number; lambda: number; score: NeuronScore; factors: number[]; nullSets: number; selectionFraction: number }) => {
      await steerJob({ model: f.model, data: data(f), out: resolve(f.out), steering: { layers: f.layers, k: f.k, lambda: f.lambda, score: f.score, factors: f.factors, nullSets: f.nullSets, selectionFraction: f.selectionFraction, batchSize: f.batchSize, resamples: f.resamples, seed: f.seed, correction: f.correction } });
      say(`wrote ${resolve(f.out)}/steering.json, steering.html`);
    });

  analysis(interp, 'nde', 'neural ODE over the layer axis on cached residual trajectories; separation force per layer, held-out accuracy — correlational (nde.json)')
    .requiredOption('--model <dir>', 'model directory')
    .option('--latent <n>', 'latent size', integer('--latent', 1), 16)
    .option('--hidden <n>', 'vector-field hidden size', integer('--hidden', 1), 64)
    .option('--epochs <n>', 'full-batch training steps', integer('--epochs', 1), 300)
    .option('--held-out <x>', 'held-out fraction', real('--held-out', (v) => v > 0 && v < 1), 0.3)
    .action(async (f: Common & { model: string; latent: number; hidden: number; epochs: number; heldOut: number }) => {
      await ndeJob({ model: f.model, data: data(f), out: resolve(f.out), nde: { latent: f.latent, hidden: f.hidden, epochs: f.epochs, heldOutFraction: f.heldOut, batchSize: f.batchSize, resamples: f.resamples, seed: f.seed } });
      say(`wrote ${resolve(f.out)}/nde.json, nde.html`);
    });

  analysis(interp, 'anchors', 'anchor and adapter layers by the explicit rule: MLP patching recovery beyond its null, base-vs-RL JSD (anchors.json)')
    .requiredOption('--base <dir>', 'base model')
    .requiredOption('--rl <dir>', 'RL model')
    .option('--null-draws <n>', 'random-direction draws per layer (default enough for the adjusted p to reach 0.05)', integer('--null-draws', 1))
    .action(async (f: Common & { base: string; rl: string; nullDraws?: number }) => {
      const r = await anchorsJob({ base: f.base, rl: f.rl, data: data(f), out: resolve(f.out), patch: { ...(f.nullDraws ? { nullDraws: f.nullDraws } : {}), batchSize: f.batchSize, resamples: f.resamples, seed: f.seed, correction: f.correction }, lens: { batchSize: f.batchSize, resamples: f.resamples, seed: f.seed } });
      say(`anchors: ${r.anchors.join(', ') || 'none'}; adapters: ${r.adapters.join(', ') || 'none'}${r.notes.length ? ` (${r.notes.join('; ')})` : ''}`);
      say(`wrote ${resolve(f.out)}/anchors.json, anchors.html`);
    });
}
