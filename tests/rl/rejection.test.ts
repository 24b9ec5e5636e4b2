import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Completion, Policy, SamplingParams } from '../../src/backends/policy.ts';
import { defaultSampling } from '../../src/backends/policy.ts';
import { inProcessVerify } from '../../src/rewards/index.ts';
import { loadItems } from '../../src/rl/data.ts';
import { readabilitySchema } from '../../src/rl/readability.ts';
import { rejectionSample, writeSftDataset } from '../../src/rl/rejection.ts';

/** A policy that answers from a script, so the filter is checked against known verdicts. */
function scripted(answers: Record<string, string[]>): Policy {
  return {
    id: 'scripted',
    async generate(prompts: string[], params: SamplingParams): Promise<Completion[]> {
      return prompts.flatMap((p, promptIndex) =>
        answers[p].slice(0, params.n).map((text, sampleIndex) => ({ promptIndex, sampleIndex, text, tokenIds: [], logprobs: null, finishReason: 'stop' as const })),
      );
    },
    async score() {
      throw new Error('not used');
    },
  };
}

test('keeps distinct verified-correct completions and writes them as an SFT dataset that loads back', async () => {
  const items = [
    { id: 'a', problem: '2+2?', answer: '4', meta: {} },
    { id: 'b', problem: '3+5?', answer: '8', meta: {} },
    { id: 'c', problem: '1+1?', answer: '2', meta: {} },
  ];
  const policy = scripted({
    '2+2?': ['2+2=4\n#### 4', '#### 5', '2+2=4\n#### 4', 'so #### 4'],
    '3+5?': ['#### 7', '#### 9', 'no idea', '#### 35'],
    '1+1?': ['#### 2', '#### 2.0', '#### 11', ''],
  });
  const result = await rejectionSample(policy, items, items.map((i) => i.problem), { ...defaultSampling, n: 4 }, inProcessVerify, ['gsm8k'], { batchPrompts: 2 });
  assert.deepEqual(
    result.rows.map((r) => [r.id, r.completion]),
    [
      ['a', '2+2=4\n#### 4'],
      ['a', 'so #### 4'],
      ['c', '#### 2'],
      ['c', '#### 2.0'],
    ],
  );
  assert.equal(result.sampled, 12);
  assert.equal(result.promptsWithAKeeper, 2);
  const file = join(mkdtempSync(join(tmpdir(), 'rlvr-rs-')), 'sft.jsonl');
  writeSftDataset(file, result.rows);
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 4);
  const loaded = await loadItems({ path: file, completion_field: 'completion' }, 'rs');
  assert.equal(loaded[1].meta.completion, 'so #### 4');
  assert.equal(loaded[1].problem, '2+2?');
  assert.equal(loaded[1].meta.renderedPrompt, true);
});

test('the readability filter drops truncated, overlong, unformatted and other-language samples, dedups, caps, and resumes from its log', async () => {
  const items = [{ id: 'a', problem: 'p', answer: '4', meta: {} }];
  const texts: Array<{ text: string; finishReason: 'stop' | 'length'; tokenCount: number }> = [
    { text: '<think>two and two make four</think> <answer>4</answer>', finishReason: 'stop', tokenCount: 10 },
    { text: '<think>two and two make</think> <answer>4', finishReason: 'length', tokenCount: 10 }, // truncated
    { text: '<think>' + 'so '.repeat(30) + '</think> <answer>4</answer>', finishReason: 'stop', tokenCount: 50 }, // overlong
    { text: 'the answer is <answer>4</answer>', finishReason: 'stop', tokenCount: 8 }, // not R1 format
    { text: '<think>二加二等于四</think> <answer>4</answer>', finishReason: 'stop', tokenCount: 8 }, // Chinese reasoning
    { text: '<think>Two and two  make FOUR</think> <answer>4</answer>', finishReason: 'stop', tokenCount: 10 }, // duplicate after normalizing
    { text: '<think>two and two make five</think> <answer>5</answer>', finishReason: 'stop', tokenCount: 10 }, // wrong
    { text: '<think>add two to two</think> <answer>4</answer>', finishReason: 'stop', tokenCount: 9 },
    { text: '<think>count four</think> <answer>4</answer>', finishReason: 'stop', tokenCount: 9 }, // over the cap of 2
  ];
  let calls = 0;
  const policy: Policy = {
    id: 'scripted',
    async generate(prompts: string[], params: SamplingParams): Promise<Completion[]> {
      calls++;
      return prompts.flatMap((_, promptIndex) => texts.slice(0, params.n).map((t, sampleIndex) => ({ promptIndex, sampleIndex, tokenIds: [], logprobs: null, ...t })));
    },
    async score() {
      throw new Error('not used');
    },
  };
  const filter = readabilitySchema.parse({ max_tokens: 20, require_format: 'r1', language: 'en', dedup: 'normalized', max_per_prompt: 2 });
  const progressPath = join(mkdtempSync(join(tmpdir(), 'rlvr-rs-')), 'progress.jsonl');
  const run = () => rejectionSample(policy, items, ['p'], { ...defaultSampling, n: texts.length }, inProcessVerify, ['answer_tag'], { filter, progressPath, settings: { model: 'x' } });
  const result = await run();
  assert.deepEqual(result.rows.map((r) => r.completion), [texts[0].text, texts[7].text]);
  assert.deepEqual(result.rejected, { truncated: 1, overlong: 1, format: 1, language: 1, duplicate: 1, incorrect: 1, over_cap: 1 });
  const again = await run();
  assert.equal(calls, 1, 'the rerun reads the finished chunk from the progress log');
  assert.deepEqual(again.rows, result.rows);
  assert.equal(again.chunksResumed, 1);
});
