import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Completion, Policy, SamplingParams } from '../../src/backends/policy.ts';
import { defaultSampling } from '../../src/backends/policy.ts';
import { inProcessVerify } from '../../src/rewards/index.ts';
import { loadItems } from '../../src/rl/data.ts';
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
