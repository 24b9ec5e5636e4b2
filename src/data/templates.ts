import type { ChatMessage } from '../backends/policy.ts';
import { UserError } from '../util/errors.ts';

/**
 * Renders a conversation with the model's own chat template, ending with the opening of the
 * assistant's turn (Hugging Face `add_generation_prompt: true`). Supplied by the tokenizer module.
 */
export type RenderChat = (messages: ChatMessage[]) => string;

export interface PromptTemplate {
  readonly name: string;
  readonly description: string;
  /** The conversation for a chat-capable policy; null for templates that are plain text by design. */
  messages(problem: string): ChatMessage[] | null;
  /** The prompt text for a completion-style policy. Chat-based templates use `renderChat` when given. */
  text(problem: string, renderChat?: RenderChat): string;
}

/** Qwen2.5-Math evaluation, prompt type `qwen-boxed` (QwenLM/Qwen2.5-Math, evaluation/utils.py). */
export const QWEN_BOXED_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.';
const QWEN_BOXED_SYSTEM = 'You are a helpful assistant.';

/** DeepSeek-R1-Zero template, verbatim from DESIGN §5; `{prompt}` is the problem. */
export const R1_ZERO_TEMPLATE =
  'A conversation between User and Assistant. The user asks a question, and the Assistant solves it. ' +
  'The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. ' +
  'The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, ' +
  'i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: {prompt}. Assistant:';

const templates: PromptTemplate[] = [
  {
    name: 'qwen-boxed',
    description: 'the problem, a newline, then the Qwen2.5-Math step-by-step \\boxed{} instruction (as a chat when a chat template is given)',
    messages: (problem) => [
      { role: 'system', content: QWEN_BOXED_SYSTEM },
      { role: 'user', content: `${problem}\n${QWEN_BOXED_INSTRUCTION}` },
    ],
    text(problem, renderChat) {
      return renderChat ? renderChat(this.messages(problem)!) : `${problem}\n${QWEN_BOXED_INSTRUCTION}`;
    },
  },
  {
    name: 'r1-zero',
    description: 'the DeepSeek-R1-Zero <think>/<answer> conversation as plain text',
    messages: () => null,
    text: (problem) => R1_ZERO_TEMPLATE.replace('{prompt}', () => problem),
  },
  {
    name: 'chat',
    description: "the problem as one user message in the model's own chat template",
    messages: (problem) => [{ role: 'user', content: problem }],
    text(problem, renderChat) {
      if (!renderChat) throw new UserError("template 'chat' needs the model's chat template (tokenizer_config.json chat_template); none was given");
      return renderChat(this.messages(problem)!);
    },
  },
  {
    name: 'none',
    description: 'the problem as is',
    messages: () => null,
    text: (problem) => problem,
  },
];

export const templateNames = templates.map((t) => t.name);

export function getTemplate(name: string): PromptTemplate {
  const template = templates.find((t) => t.name === name);
  if (!template) throw new UserError(`unknown prompt template '${name}'; available: ${templateNames.join(', ')}`);
  return template;
}
