/**
 * What GRPO and SFT runs share: the run directory, the model (fresh or from the latest
 * checkpoint), the training primitive, the data order, validation and checkpoints.
 */
import type { BenchmarkItem } from '../data/index.ts';
import { CausalLM } from '../model/causal-lm.ts';
import { generateIds } from '../model/generate.ts';
import { Trainable } from '../model/trainable.ts';
import { inProcessVerify, poolVerify } from '../rewards/index.ts';
import type { Verify } from '../rewards/types.ts';
import { RunDir } from '../runs/index.ts';
import { withExploration } from '../exploration/grade.ts';
import { EXTRACTION_PRESETS, type Extractor } from '../verify/extract.ts';
import { VerifierPool } from '../verify/pool.ts';
import { UserError } from '../util/errors.ts';
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type TrainerState } from './checkpoint.ts';
import type { TrainConfig } from './config.ts';
import { PromptOrder, promptText, trainAndValItems } from './data.ts';

export interface RunOptions {
  quiet?: boolean;
  /** Stop after this step (checkpointing it) although the schedule runs to train.steps; continue later with a resume. */
  untilStep?: number;
}

export function lastStep(steps: number, opts: RunOptions): number {
  return Math.min(steps, opts.untilStep ?? steps);
}

export interface SessionOptions {
  out: string;
  resume: boolean;
  /** Verify in-process instead of on the worker pool (tests with trusted inputs). */
  inProcessVerify?: boolean;
}

export class TrainingSession {
  private constructor(
    readonly cfg: TrainConfig,
    readonly run: RunDir,
    readonly lm: CausalLM,
    readonly trainable: Trainable,
    readonly train: BenchmarkItem[],
    readonly val: BenchmarkItem[],
    readonly order: PromptOrder,
    readonly state: TrainerState,
    readonly verify: Verify,
    readonly extractors: readonly Extractor[],
    private readonly pool: VerifierPool | null,
  ) {}

  static async open(cfg: TrainConfig, opts: SessionOptions): Promise<TrainingSession> {
    const extractors = EXTRACTION_PRESETS[cfg.data.extractors];
    if (!extractors) throw new UserError(`data.extractors: unknown preset '${cfg.data.extractors}'; known: ${Object.keys(EXTRACTION_PRESETS).join(', ')}`);
    const { train, val } = await trainAndValItems(cfg);
    // A new run loads its model before creating the run directory, so a bad `model:` leaves
    // nothing behind that would make the corrected rerun look like a resume.
    const startModel = opts.resume ? null : CausalLM.load(cfg.model);
    const run = opts.resume ? RunDir.open(opts.out) : RunDir.create(opts.out, cfg);
    const latest = opts.resume ? run.latestCheckpoint() : null;
    const lm = startModel ?? CausalLM.load(latest?.dir ?? cfg.model);
    const trainable = new Trainable(lm, {
      schedule: {
        kind: cfg.optim.schedule,
        lr: cfg.optim.lr,
        warmupSteps: cfg.optim.warmup_steps,
        totalSteps: cfg.train.steps,
        minLrRatio: cfg.optim.min_lr_ratio,
      },
      optimizer: {
        beta1: cfg.optim.beta1,
        beta2: cfg.optim.beta2,
        eps: cfg.optim.eps,
        weightDecay: cfg.optim.weight_decay,
        maxGradNorm: cfg.optim.max_grad_norm,
      },
    });
    const state: TrainerState = { step: 0, cursor: 0 };
    if (latest) {
      const restored = loadTrainingCheckpoint(latest.dir);
      trainable.optimizer.setState(restored.optimizer);
      Object.assign(state, restored.state);
    }
    if (opts.resume) run.truncateLogsAfter(state.step);
    const pool = opts.inProcessVerify ? null : new VerifierPool();
    return new TrainingSession(cfg, run, lm, trainable, train, val, new PromptOrder(train.length, cfg.seed), state, withExploration(pool ? poolVerify(pool) : inProcessVerify), extractors, pool);
  }

  prompt(item: BenchmarkItem): string {
    return promptText(item, this.cfg.data.template, this.lm.tokenizer);
  }

  /** Items for the next `count` prompts, advancing the data cursor. */
  nextItems(count: number): BenchmarkItem[] {
    const items = this.order.take(this.state.cursor, count).map((i) => this.train[i]);
    this.state.cursor += count;
    return items;
  }

  isDue(every: number): boolean {
    return every > 0 && this.state.step % every === 0;
  }

  /** Greedy pass@1 on the validation items (the minimal built-in evaluation). */
  async validate(maxNewTokens: number): Promise<number | null> {
    if (this.val.length === 0) return null;
    const prompts = this.val.map((item) => this.lm.tokenizer.encode(this.prompt(item)));
    const completions = await generateIds(this.lm, prompts, { maxNewTokens, temperature: 0, topP: 1, topK: 0, stop: this.cfg.rollout.stop, seed: 0, n: 1 }, { maxBatch: this.cfg.rollout.batch, logprobs: false });
    const correct = await Promise.all(completions.map(async (c) => (await this.verify(this.val[c.promptIndex].answer, c.text, { extractors: this.extractors })).correct));
    return correct.filter(Boolean).length / correct.length;
  }

  checkpoint(): string {
    return saveTrainingCheckpoint(this.run, this.lm, this.trainable.optimizer.getState(), { ...this.state });
  }

  async close(): Promise<void> {
    this.trainable.close();
    await this.pool?.close();
  }
}
