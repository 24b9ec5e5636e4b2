/** The embedded engine as a `Policy`: a Hugging Face model directory run in-process on ONNX Runtime. */
import { resolve } from 'node:path';
import { CausalLM, type WeightFormat } from '../model/causal-lm.ts';
import { type GenerateOptions, generateIds } from '../model/generate.ts';
import { scoreIds, tokenizePair } from '../model/score.ts';
import { UserError } from '../util/errors.ts';
import type { ChatMessage, Completion, Policy, SamplingParams, ScoreRequest, TokenScores } from './policy.ts';

export class EmbeddedPolicy implements Policy {
  readonly id: string;

  constructor(
    readonly lm: CausalLM,
    private readonly options: GenerateOptions & { scoreBatch?: number } = {},
  ) {
    this.id = `embedded:${resolve(lm.source)}`;
  }

  static load(dir: string, options: GenerateOptions & { scoreBatch?: number; weights?: WeightFormat } = {}): EmbeddedPolicy {
    const { weights, ...rest } = options;
    return new EmbeddedPolicy(CausalLM.load(dir, { weights }), rest);
  }

  generate(prompts: string[], params: SamplingParams): Promise<Completion[]> {
    return generateIds(
      this.lm,
      prompts.map((p) => this.lm.tokenizer.encode(p)),
      params,
      this.options,
    );
  }

  generateChat(conversations: ChatMessage[][], params: SamplingParams): Promise<Completion[]> {
    if (!this.lm.tokenizer.chatTemplate) throw new UserError(`${this.lm.source}: the tokenizer has no chat template`);
    const rendered = conversations.map((messages) => this.lm.tokenizer.applyChatTemplate(messages.map((m) => ({ ...m })), { addGenerationPrompt: true }));
    return generateIds(
      this.lm,
      rendered.map((text) => this.lm.tokenizer.encode(text, { addSpecialTokens: false })),
      params,
      this.options,
    );
  }

  score(batch: ScoreRequest): Promise<TokenScores> {
    if (batch.prompts.length !== batch.completions.length) {
      throw new UserError(`score: ${batch.prompts.length} prompts but ${batch.completions.length} completions`);
    }
    const pairs = batch.prompts.map((p, i) => tokenizePair(this.lm, p, batch.completions[i]));
    return scoreIds(this.lm, pairs, { maxBatch: this.options.scoreBatch, entropies: batch.entropies });
  }
}
