/** The embedded engine as a Policy whose concurrent calls share generate batches (see batcher.ts). */
import { EmbeddedPolicy } from '../backends/embedded.ts';
import type { ChatMessage, Completion, SamplingParams } from '../backends/policy.ts';
import type { CausalLM } from '../model/causal-lm.ts';
import { validateSampling } from '../model/generate.ts';
import { UserError } from '../util/errors.ts';
import { type BatcherOptions, GenerationBatcher } from './batcher.ts';

/**
 * Gives exactly what EmbeddedPolicy gives for the same call (row (j, k) of a call samples from
 * rowRng(seed, j, k)), but many small concurrent calls run as few large generate calls.
 */
export class BatchedEmbeddedPolicy extends EmbeddedPolicy {
  readonly batcher: GenerationBatcher;

  constructor(lm: CausalLM, opts: BatcherOptions = {}) {
    super(lm);
    this.batcher = new GenerationBatcher(lm, opts);
  }

  override async generate(prompts: string[], params: SamplingParams): Promise<Completion[]> {
    return this.generateTokens(
      prompts.map((p) => this.lm.tokenizer.encode(p)),
      params,
    );
  }

  override async generateChat(conversations: ChatMessage[][], params: SamplingParams): Promise<Completion[]> {
    return this.generateTokens(
      conversations.map((messages) =>
        this.lm.tokenizer.encode(this.renderChat(messages), { addSpecialTokens: false }),
      ),
      params,
    );
  }

  /** The conversation in the model's chat template, ending with the opening of the assistant's turn. */
  renderChat(messages: ChatMessage[]): string {
    if (!this.lm.tokenizer.chatTemplate)
      throw new UserError(`${this.lm.source}: the tokenizer has no chat template`);
    return this.lm.tokenizer.applyChatTemplate(
      messages.map((m) => ({ ...m })),
      { addGenerationPrompt: true },
    );
  }

  /**
   * Completions for token-id prompts, `params.n` each, in (prompt, sample) order. `signal` gives
   * up the call (see GenerationBatcher.submit); `ignoreEos` generates past EOS (vLLM's ignore_eos).
   */
  async generateTokens(
    prompts: ReadonlyArray<readonly number[]>,
    params: SamplingParams,
    opts: { signal?: AbortSignal; ignoreEos?: boolean } = {},
  ): Promise<Completion[]> {
    validateSampling(params);
    prompts.forEach((p, i) => {
      if (p.length === 0)
        throw new UserError(`prompt ${i} is empty: generation needs at least one prompt token`);
    });
    const { seed, n, ...sampling } = params;
    const rows = prompts.flatMap((tokens, promptIndex) =>
      Array.from({ length: n }, (_, sampleIndex) => ({ tokens, seed, promptIndex, sampleIndex })),
    );
    return this.batcher.submit(rows, { ...sampling, ignoreEos: opts.ignoreEos }, opts.signal);
  }
}
