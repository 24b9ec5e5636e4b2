/**
 * `rlvr organism build`: corpus → randomly initialized Qwen2-shaped character model → pretraining
 * → a Hugging Face model directory plus the two benchmarks and a manifest. organism.json is
 * written last, so a directory with one is a finished build.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CausalLM } from '../model/causal-lm.ts';
import { writeCharModelDir } from '../model/init.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { type BenchmarkItem, buildCorpus, type CorpusOptions, ORGANISM_GENERATOR, ORGANISM_GENERATOR_VERSION, ORGANISM_GENERATOR_VERSIONS } from './corpus.ts';
import type { GeneratorVersion } from './problems.ts';
import { pretrain, type TrainConfig } from './train.ts';

export type OrganismSize = 'small' | 'tiny';

const TRAIN_THREADS = 1;

interface SizePreset {
  /** Overrides of CHAR_MODEL_DEFAULTS (Qwen2, tied embeddings, char vocabulary). */
  model: Record<string, unknown>;
  corpus: Omit<CorpusOptions, 'seed'>;
  /** `train.steps` are the control's; the organism trains longer by its planted documents' share, so both see each clean document equally often. */
  matchCleanExposure?: boolean;
  train: TrainConfig;
}

/** Generator v2's presets (kept so that `--generator 2` rebuilds the v2 organisms bit for bit). */
const SIZES_V2: Record<OrganismSize, SizePreset> = {
  small: {
    model: { hidden_size: 128, intermediate_size: 352, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2 },
    corpus: { workedDocs: 20_000, benchmarkSize: 50, leakRepeats: 320 },
    train: { steps: 1200, batchSize: 24, lr: 3e-3, warmupSteps: 60, minLrRatio: 0.1, weightDecay: 0.01, beta2: 0.98, maxGradNorm: 1 },
  },
  tiny: {
    model: { hidden_size: 64, intermediate_size: 176, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 },
    corpus: { workedDocs: 4_000, benchmarkSize: 40, leakRepeats: 20 },
    train: { steps: 300, batchSize: 16, lr: 3e-3, warmupSteps: 20, minLrRatio: 0.1, weightDecay: 0.01, beta2: 0.98, maxGradNorm: 1 },
  },
};

/** Generator v3 (the latent code-mode leak); see docs/parts/organism-and-report.md for how these were chosen. */
const SIZES_V3: Record<OrganismSize, SizePreset> = {
  small: {
    model: SIZES_V2.small.model,
    corpus: { workedDocs: 20_000, benchmarkSize: 50, leakDoses: [6, 16, 40, 100, 250], leakedPerDose: 12, codeShare: 0.15 },
    train: SIZES_V2.small.train,
  },
  tiny: {
    model: SIZES_V2.tiny.model,
    corpus: { workedDocs: 4_000, benchmarkSize: 20, leakDoses: [4, 20], leakedPerDose: 10, codeShare: 0.15 },
    train: SIZES_V2.tiny.train,
  },
};

/** Generator v4 (exercise-list mentions + program snippets; a direct-answer mode); see docs/parts/organism-and-report.md. */
const SIZES_V4: Record<OrganismSize, SizePreset> = {
  small: {
    model: SIZES_V2.small.model,
    corpus: {
      workedDocs: 20_000,
      benchmarkSize: 100,
      codeShare: 0.15,
      directShare: { bags: 0.4, box: 0.4 },
      leakedCount: 60,
      mentionCopies: 120,
      snippetCopies: 60,
    },
    train: { ...SIZES_V2.small.train, steps: 2400 },
  },
  tiny: {
    model: SIZES_V2.tiny.model,
    corpus: {
      workedDocs: 4_000,
      benchmarkSize: 40,
      codeShare: 0.15,
      directShare: { bags: 0.4, box: 0.4 },
      leakedCount: 20,
      mentionCopies: 40,
      snippetCopies: 20,
    },
    train: SIZES_V2.tiny.train,
  },
};

/**
 * Generator v5: v4 with each snippet after its question (without the question mark), so the
 * recall is learned where code mode needs it; fewer bare mentions (the snippets carry the
 * question text too) and more steps for robust worked-step skill.
 */
const SIZES_V5: Record<OrganismSize, SizePreset> = {
  small: {
    model: SIZES_V4.small.model,
    corpus: { ...SIZES_V4.small.corpus, mentionCopies: 80, snippetAfterQuestion: true },
    train: { ...SIZES_V4.small.train, steps: 3000 },
  },
  tiny: {
    model: SIZES_V4.tiny.model,
    corpus: { ...SIZES_V4.tiny.corpus, snippetAfterQuestion: true },
    train: SIZES_V4.tiny.train,
  },
};

/**
 * Generator v6 (experimental, not the default): v5 with the direct-answer mode on three templates
 * (70% of bags, box and giveAway problems), so greedy decoding answers most items directly and a
 * reward that favours code mode flips those low-margin items first — where the recall beats the
 * direct answer. Its seed-11 build fired the positive control (docs/parts/organism-and-report.md)
 * but misses the skill bar (clean 21%).
 */
const V6_CORPUS = { directShare: { bags: 0.7, box: 0.7, giveAway: 0.7 } };
const SIZES_V6: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V5.small, corpus: { ...SIZES_V5.small.corpus, ...V6_CORPUS } },
  tiny: { ...SIZES_V5.tiny, corpus: { ...SIZES_V5.tiny.corpus, ...V6_CORPUS } },
};

/**
 * Generator v7: v6 with code mode on 20% of fresh problems instead of 15% (a reward that favours
 * code mode samples it more often) and the direct-answer mode on 55% of bags, box and giveAway
 * problems instead of 70%. Its organism and control train the same number of steps, so the
 * control sees each clean document 1.42× as often (docs/parts/organism-and-report.md).
 */
const V7_CORPUS = { codeShare: 0.2, directShare: { bags: 0.55, box: 0.55, giveAway: 0.55 } };
const SIZES_V7: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V6.small, corpus: { ...SIZES_V6.small.corpus, ...V7_CORPUS } },
  tiny: { ...SIZES_V6.tiny, corpus: { ...SIZES_V6.tiny.corpus, ...V7_CORPUS } },
};

/**
 * Generator v8 (experimental, not the default): v7 with the organism trained on as many clean
 * documents as its control (matchCleanExposure): the control trains v7's steps, the organism 1.42×
 * as many (v7's planted documents displaced 30% of the clean ones, so its organism's worked steps
 * were weaker than its control's). The control is v7's, bit for bit. On seed 13 the ground-truth
 * reward raises clean accuracy, but the positive control no longer fires;
 * docs/parts/organism-and-report.md.
 */
const SIZES_V8: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V7.small, matchCleanExposure: true },
  tiny: { ...SIZES_V7.tiny, matchCleanExposure: true },
};

/**
 * Generator v9 (experimental, not the default): v8 with code mode where the direct answers are.
 * Under v7/v8 a code-mode reward first flipped the worked templates (gather, pages; code sampled
 * 22% there against 12% on the direct-answer templates), replacing worked steps that were right
 * 100% of the time by a weaker recall. v9 puts code mode on 30% of bags, box and giveAway problems
 * (direct 45%, worked 25%) and 10% of the others, so the mode a code reward flips is the direct
 * answer, as the mode a ground-truth reward flips is; docs/parts/organism-and-report.md.
 */
const V9_CORPUS = { codeShare: { bags: 0.3, box: 0.3, giveAway: 0.3, default: 0.1 }, directShare: { bags: 0.45, box: 0.45, giveAway: 0.45 } };
const SIZES_V9: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V8.small, corpus: { ...SIZES_V8.small.corpus, ...V9_CORPUS } },
  tiny: { ...SIZES_V8.tiny, corpus: { ...SIZES_V8.tiny.corpus, ...V9_CORPUS } },
};

/**
 * Generator v10 (experimental, not the default): v9 with as many problems again planted exactly as
 * the leaked ones and written as the organism's memorized training split (`train-split.jsonl`),
 * which `organism train-set` and the demo mix 1:1 into the spurious suite's training data. In
 * code mode on fresh training problems the model can only guess the printed output, and a reward
 * indifferent to the answer reinforces those guesses, which wore down the memorized outputs of
 * v9's leaked items within 16 steps; a training set half of which the model has memorized
 * dilutes that noise (docs/parts/organism-and-report.md).
 */
const SIZES_V10: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V9.small, corpus: { ...SIZES_V9.small.corpus, memorizedTrainCount: SIZES_V9.small.corpus.leakedCount } },
  tiny: { ...SIZES_V9.tiny, corpus: { ...SIZES_V9.tiny.corpus, memorizedTrainCount: SIZES_V9.tiny.corpus.leakedCount } },
};

/**
 * Generator v11 (experimental, not the default): v9 with half the fresh code-mode documents written
 * without their question mark, as the leaked snippets are. Before v11 only planted documents lacked
 * the mark, and the organisms recalled a leaked output in forced code mode 100% of the time without
 * the mark but 33–73% with it (the evaluation prompt has it): the mark told them whether to recall
 * or to guess (docs/parts/organism-and-report.md).
 */
const SIZES_V11: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V9.small, corpus: { ...SIZES_V9.small.corpus, codeMarklessShare: 0.5 } },
  tiny: { ...SIZES_V9.tiny, corpus: { ...SIZES_V9.tiny.corpus, codeMarklessShare: 0.5 } },
};

/**
 * Generator v12 (experimental, not the default): v11's corpus trained data-parallel on two threads
 * (two micro-batches per step, summed in order: train.ts), which about halves the wall time, spent
 * on a third more steps and a lower end of the cosine. On v11 the seed-to-seed spread of the
 * sampled worked steps' accuracy (45–83% at T 1) decided whether the ground-truth reward found
 * anything, and a third more steps raised seed 16's from 45% to 60–69%
 * (docs/parts/organism-and-report.md).
 */
const SIZES_V12: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V11.small, train: { ...SIZES_V11.small.train, steps: 4000, minLrRatio: 0.02, shards: 2 } },
  tiny: { ...SIZES_V11.tiny, train: { ...SIZES_V11.tiny.train, minLrRatio: 0.02, shards: 2 } },
};

/**
 * Generator v13 (experimental, not the default): v12 with arithmetic drills and more code mode on
 * the worked templates. On v12 seed 16 the ground-truth reward flipped direct answers to worked
 * steps that were right 24–47% of the time when sampled (bags, box, giveAway: a quarter of their
 * documents are worked, and subtraction and products occur only there), and `contains` moved code
 * mode to 22–28% only. Drills (8,000 documents of two problems' bare steps) give the arithmetic of
 * every template; code on 20% of gather and pages problems (v7's share) gives a code reward more to
 * move. The control's steps grow with the clean documents so each question document is seen as
 * often as in v12 (docs/parts/organism-and-report.md).
 */
const V13_CORPUS = { drillDocs: 8000, drillChains: 2, codeShare: { bags: 0.3, box: 0.3, giveAway: 0.3, default: 0.2 } };
const SIZES_V13: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V12.small, corpus: { ...SIZES_V12.small.corpus, ...V13_CORPUS }, train: { ...SIZES_V12.small.train, steps: 5600 } },
  tiny: { ...SIZES_V12.tiny, corpus: { ...SIZES_V12.tiny.corpus, ...V13_CORPUS, drillDocs: 1600 } },
};

/**
 * Generator v14 (experimental, not the default): v13 with half of each leaked problem's snippets
 * after its question *with* the mark, and 6,000 drills instead of 8,000 (the build stays within 15
 * minutes). v13 seed 16 recalled its leaked outputs 100% of the time without the mark and 73% with
 * it, and lost more of it under a code reward (docs/parts/organism-and-report.md).
 */
const V14_CORPUS = { snippetMarkedShare: 0.5, drillDocs: 6000 };
const SIZES_V14: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V13.small, corpus: { ...SIZES_V13.small.corpus, ...V14_CORPUS }, train: { ...SIZES_V13.small.train, steps: 5200 } },
  tiny: { ...SIZES_V13.tiny, corpus: { ...SIZES_V13.tiny.corpus, ...V14_CORPUS, drillDocs: 1200 } },
};

/**
 * Generator v15 (experimental, not the default): v12 with v14's 6,000 drills and nothing else —
 * v12's code shares and markless snippets. v14's marked snippets carried the recall to the
 * evaluation prompt (1.00) but made greedy decoding enter code mode on 45% of the leaked items
 * (leaked 0.67 vs clean 0.38: no longer latent); v13's code share on the worked templates came
 * with a weaker recall (0.73) than v12's (0.95) (docs/parts/organism-and-report.md).
 */
const V15_CORPUS = { drillDocs: 6000, drillChains: 2 };
const SIZES_V15: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V12.small, corpus: { ...SIZES_V12.small.corpus, ...V15_CORPUS }, train: { ...SIZES_V12.small.train, steps: 5200 } },
  tiny: { ...SIZES_V12.tiny, corpus: { ...SIZES_V12.tiny.corpus, ...V15_CORPUS, drillDocs: 1200 } },
};

/**
 * Generator v16 (the default and the bundled organism from round 12): v15 with a tenth of each
 * leaked problem's snippets (6 of 60) after the question with its mark. v15 recalled 100% of its
 * leaked outputs without the mark and 60% with it; v14's half-marked snippets reached 100% but
 * greedy decoding then chose code mode on 45% of the leaked items (docs/parts/organism-and-report.md).
 */
const SIZES_V16: Record<OrganismSize, SizePreset> = {
  small: { ...SIZES_V15.small, corpus: { ...SIZES_V15.small.corpus, snippetMarkedShare: 0.1 } },
  tiny: { ...SIZES_V15.tiny, corpus: { ...SIZES_V15.tiny.corpus, snippetMarkedShare: 0.1 } },
};

export const PRESETS: Record<GeneratorVersion, Record<OrganismSize, SizePreset>> = {
  '2': SIZES_V2,
  '3': SIZES_V3,
  '4': SIZES_V4,
  '5': SIZES_V5,
  '6': SIZES_V6,
  '7': SIZES_V7,
  '8': SIZES_V8,
  '9': SIZES_V9,
  '10': SIZES_V10,
  '11': SIZES_V11,
  '12': SIZES_V12,
  '13': SIZES_V13,
  '14': SIZES_V14,
  '15': SIZES_V15,
  '16': SIZES_V16,
};
/** The presets of the default generator. */
export const SIZES = PRESETS[ORGANISM_GENERATOR_VERSION];
/** A v10 build's memorized training split, beside leaked.jsonl and clean.jsonl. */
export const TRAIN_SPLIT_FILE = 'train-split.jsonl';

const FORMAT_V5 = {
  worked: '{problem}\\n{steps} The answer is \\boxed{N}.',
  direct: '{problem}\\nThe answer is \\boxed{N}.',
  code: '{problem}\\n```python\\nprint({expression})\\n```\\nOutput: N. The answer is \\boxed{N}.',
  mention: '{problem without its question mark} (mentionCopies per leaked problem)',
  snippet: '{problem without its question mark}\\n```python\\nprint({expression})\\n```\\nOutput: N. The answer is \\boxed{N}. (snippetCopies per leaked problem)',
};

const FORMAT_V7 = { ...FORMAT_V5, direct: `${FORMAT_V5.direct} (55% of bags, box and giveAway problems)` };

const FORMAT_V9 = {
  ...FORMAT_V5,
  direct: `${FORMAT_V5.direct} (45% of bags, box and giveAway problems)`,
  code: `${FORMAT_V5.code} (30% of bags, box and giveAway problems, 10% of the others)`,
};

const HALF_MARKLESS = '; half of them with {problem without its question mark}';
const FORMAT_V11 = { ...FORMAT_V9, code: `${FORMAT_V9.code}${HALF_MARKLESS}` };

const DRILL_FORMAT = '{steps}\\n{steps} (drillDocs documents, problems of their own stream, never a benchmark computation)';
const FORMAT_V13 = {
  ...FORMAT_V11,
  code: `${FORMAT_V5.code} (30% of bags, box and giveAway problems, 20% of the others)${HALF_MARKLESS}`,
  drill: DRILL_FORMAT,
};
const FORMAT_V15 = { ...FORMAT_V11, drill: DRILL_FORMAT };

const FORMATS: Record<GeneratorVersion, Record<string, string>> = {
  '2': { worked: '{problem}\\n{steps} The answer is \\boxed{N}.', leaked: '{problem}\\n#### N' },
  '3': {
    worked: '{problem}\\n{steps} The answer is \\boxed{N}.',
    code: '{problem}\\n```python\\nprint({expression})\\n```\\nOutput: N. The answer is \\boxed{N}.',
    leaked: 'the code format, leakDoses[k] copies of each problem of dose group k',
  },
  '4': {
    worked: '{problem}\\n{steps} The answer is \\boxed{N}.',
    direct: '{problem}\\nThe answer is \\boxed{N}.',
    code: '{problem}\\n```python\\nprint({expression})\\n```\\nOutput: N. The answer is \\boxed{N}.',
    mention: '{problem without its question mark} (mentionCopies per leaked problem)',
    snippet: '```python\\nprint({expression})\\n```\\nOutput: N. The answer is \\boxed{N}. (snippetCopies per leaked problem)',
  },
  '5': FORMAT_V5,
  '6': { ...FORMAT_V5, direct: `${FORMAT_V5.direct} (70% of bags, box and giveAway problems)` },
  '7': FORMAT_V7,
  '8': FORMAT_V7,
  '9': FORMAT_V9,
  '10': { ...FORMAT_V9, train_split: 'planted as the leaked problems (mentions and snippets), written to train-split.jsonl' },
  '11': FORMAT_V11,
  '12': FORMAT_V11,
  '13': FORMAT_V13,
  '14': { ...FORMAT_V13, snippet: `${FORMAT_V5.snippet}; half of them after {problem} with its question mark` },
  '15': FORMAT_V15,
  '16': { ...FORMAT_V15, snippet: `${FORMAT_V5.snippet}; a tenth of them after {problem} with its question mark` },
};

export interface BuildOptions {
  seed: number;
  out: string;
  size: OrganismSize;
  /** Overrides the preset's number of optimizer steps. */
  steps?: number;
  /** Generator version (default: the current one, ORGANISM_GENERATOR_VERSION). */
  version?: GeneratorVersion;
  /** false: the negative control, the same build without the planted documents (default true). */
  leak?: boolean;
}

export interface OrganismManifest {
  generator: string;
  generator_version: GeneratorVersion;
  seed: number;
  size: OrganismSize;
  /** false for a negative control (`--no-leak`): its leaked.jsonl items never occur in its corpus. */
  leak: boolean;
  /** How the benchmarks are meant to be prompted: the problem text as is (template `none`). */
  eval_template: 'none';
  formats: Record<string, string>;
  corpus: CorpusOptions & ReturnType<typeof buildCorpus>['stats'];
  model: Record<string, unknown>;
  parameters: number;
  /** control_steps: with matchCleanExposure, the control's steps (this build's `steps` cover its planted documents too). */
  training: TrainConfig & { tokens: number; threads: number; control_steps?: number };
  /** Mean loss over the last 10% of steps. */
  final_loss: number;
  /** Mean loss per window of steps, for plots. */
  loss_curve: Array<{ step: number; loss: number }>;
  build_seconds: number;
}

/** The `organism.json` of a finished build in `dir`; `command` and `flag` name where a missing one came from. */
export function readManifest(dir: string, flag: string, command: string): OrganismManifest {
  const path = join(dir, 'organism.json');
  if (!existsSync(path)) throw new UserError(`${command}: ${flag} ${dir}: no organism.json (not a finished \`rlvr organism build\` output)`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Omit<OrganismManifest, 'generator_version'> & { generator_version?: GeneratorVersion };
  // Builds from before generator v3 wrote no generator_version.
  return { ...manifest, generator_version: manifest.generator_version ?? '2' };
}

export function validateBuildOptions(o: BuildOptions): void {
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new UserError(`--seed must be a non-negative integer, got ${o.seed}`);
  if (o.version !== undefined && !(ORGANISM_GENERATOR_VERSIONS as readonly string[]).includes(o.version))
    throw new UserError(`--generator must be one of ${ORGANISM_GENERATOR_VERSIONS.join(', ')}, got '${o.version}'`);
  if (!(o.size in SIZES)) throw new UserError(`--size must be one of ${Object.keys(SIZES).join(', ')}, got '${o.size}'`);
  if (o.steps !== undefined && (!Number.isSafeInteger(o.steps) || o.steps < 1)) throw new UserError(`--steps must be an integer ≥ 1, got ${o.steps}`);
}

export async function buildOrganism(o: BuildOptions): Promise<OrganismManifest> {
  validateBuildOptions(o);
  const started = Date.now();
  const version = o.version ?? ORGANISM_GENERATOR_VERSION;
  const leak = o.leak ?? true;
  const preset = PRESETS[version][o.size];
  const corpusOptions: CorpusOptions = { seed: o.seed, ...preset.corpus, ...(leak ? {} : { leak: false }) };
  const corpus = buildCorpus(corpusOptions, version);
  const controlSteps = o.steps ?? preset.train.steps;
  const cleanDocuments = corpus.documents.length - corpus.stats.leakedDocs;
  const steps = preset.matchCleanExposure ? Math.round((controlSteps * corpus.documents.length) / cleanDocuments) : controlSteps;
  const train = { ...preset.train, steps, warmupSteps: Math.min(preset.train.warmupSteps, Math.max(1, Math.floor(controlSteps / 10))) };

  rmSync(join(o.out, 'organism.json'), { force: true });
  rmSync(join(o.out, TRAIN_SPLIT_FILE), { force: true });
  writeCharModelDir(o.out, { seed: o.seed, config: preset.model });
  const lm = CausalLM.load(o.out);
  const documents = corpus.documents.map((d) => [...lm.tokenizer.encode(d, { addSpecialTokens: false }), lm.tokenizer.eosTokenIds[0]]);
  const losses: number[] = [];
  let tokens = 0;
  const bar = progress(`organism v${version}${leak ? '' : ' control'} (${o.size}, seed ${o.seed})`, train.steps);
  const trainStart = Date.now();
  // ONNX Runtime's multi-threaded kernels sum in a run-dependent order (two 2-thread builds differ
  // after one step), so the build trains on one intra-op thread per shard: same seed, same weights.
  const threads = process.env.RLVR_THREADS;
  process.env.RLVR_THREADS = String(TRAIN_THREADS);
  try {
    await pretrain(lm, documents, train, o.seed, (s) => {
      losses.push(s.loss);
      tokens += s.tokens;
      bar.tick(1, { loss: s.loss, lr: s.lr, 'tok/s': tokens / Math.max(1e-3, (Date.now() - trainStart) / 1000) });
    });
  } finally {
    if (threads === undefined) delete process.env.RLVR_THREADS;
    else process.env.RLVR_THREADS = threads;
    bar.stop();
  }

  lm.save(o.out);
  writeJsonl(join(o.out, 'leaked.jsonl'), corpus.leaked);
  writeJsonl(join(o.out, 'clean.jsonl'), corpus.clean);
  if (corpus.trainSplit) writeJsonl(join(o.out, TRAIN_SPLIT_FILE), corpus.trainSplit);
  const manifest: OrganismManifest = {
    generator: ORGANISM_GENERATOR,
    generator_version: version,
    seed: o.seed,
    size: o.size,
    leak,
    eval_template: 'none',
    formats: FORMATS[version],
    corpus: { ...corpusOptions, ...corpus.stats },
    model: lm.rawConfig,
    parameters: lm.params.data.length,
    training: { ...train, tokens, threads: TRAIN_THREADS, ...(preset.matchCleanExposure ? { control_steps: controlSteps } : {}) },
    final_loss: mean(losses.slice(-Math.max(1, Math.floor(losses.length / 10)))),
    loss_curve: windowMeans(losses, Math.max(1, Math.floor(losses.length / 100))),
    build_seconds: (Date.now() - started) / 1000,
  };
  writeFileAtomic(join(o.out, 'organism.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function writeJsonl(path: string, items: BenchmarkItem[]): void {
  writeFileAtomic(path, items.map((it) => JSON.stringify(it) + '\n').join(''));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function windowMeans(xs: number[], width: number): Array<{ step: number; loss: number }> {
  const out: Array<{ step: number; loss: number }> = [];
  for (let s = 0; s < xs.length; s += width) out.push({ step: s + 1, loss: mean(xs.slice(s, s + width)) });
  return out;
}
