/** Chat templates (Jinja, from `tokenizer_config.json`) rendered with @huggingface/jinja. */
import { Template } from '@huggingface/jinja';
import { UserError } from '../util/errors.ts';

export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

const parsed = new Map<string, Template>();

/**
 * Renders `template` with `messages` and the other variables transformers passes
 * (`add_generation_prompt`, `bos_token`, `eos_token`, ..., plus template-specific ones such as
 * `enable_thinking` or `tools`).
 */
export function renderChatTemplate(
  template: string,
  messages: ChatMessage[],
  variables: Record<string, unknown>,
): string {
  let compiled = parsed.get(template);
  try {
    if (!compiled) {
      compiled = new Template(template);
      parsed.set(template, compiled);
    }
    return compiled.render({ ...variables, messages });
  } catch (err) {
    throw new UserError(`chat template failed: ${(err as Error).message}`);
  }
}
