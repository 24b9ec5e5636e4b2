import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/backends/policy.ts';
import { getTemplate, templateNames } from '../../src/data/templates.ts';
import { UserError } from '../../src/util/errors.ts';

// A ChatML renderer standing in for the tokenizer's chat template.
const chatml = (messages: ChatMessage[]): string =>
  messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('') + '<|im_start|>assistant\n';

test('qwen-boxed: plain text, and as a chat it equals the Qwen2.5-Math qwen-boxed prompt', () => {
  const t = getTemplate('qwen-boxed');
  assert.equal(t.text('What is $1+1$?'), 'What is $1+1$?\nPlease reason step by step, and put your final answer within \\boxed{}.');
  assert.equal(
    t.text('What is $1+1$?', chatml),
    '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
      '<|im_start|>user\nWhat is $1+1$?\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n' +
      '<|im_start|>assistant\n',
  );
});

test('r1-zero: the DESIGN §5 text with the problem substituted (no $-pattern surprises)', () => {
  const text = getTemplate('r1-zero').text("Compute $$x$$ and $' here");
  assert.equal(
    text,
    'A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant ' +
      'first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning ' +
      'process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., ' +
      "<think> reasoning process here </think> <answer> answer here </answer>. User: Compute $$x$$ and $' here. Assistant:",
  );
  assert.equal(getTemplate('r1-zero').messages('p'), null);
});

test('chat uses the given renderer and refuses to run without one; none is the identity', () => {
  assert.equal(getTemplate('chat').text('2+2?', chatml), '<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n');
  assert.throws(() => getTemplate('chat').text('2+2?'), (e: unknown) => e instanceof UserError && /needs the model's chat template/.test(e.message));
  assert.equal(getTemplate('none').text(' raw\n'), ' raw\n');
});

test('an unknown template is a UserError listing the names', () => {
  assert.deepEqual(templateNames, ['qwen-boxed', 'r1-zero', 'chat', 'none']);
  assert.throws(() => getTemplate('qwen'), (e: unknown) => e instanceof UserError && e.message === "unknown prompt template 'qwen'; available: qwen-boxed, r1-zero, chat, none");
});
