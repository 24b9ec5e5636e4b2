import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedPolicy } from '../../src/backends/embedded.ts';
import type { Completion, Policy, SamplingParams } from '../../src/backends/policy.ts';
import {
  type AnswerVerifier,
  type ProbeItem,
  runContaminationProbe,
  summarizeProbe,
} from '../../src/audit/contamination.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { type LossFn, Trainable } from '../../src/model/trainable.ts';
import * as T from '../../src/tensor/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { verifyPair } from '../../src/verify/verify.ts';

/** The verifier's own logic, in-process (the CLI uses the worker pool). */
const verifier: AnswerVerifier = {
  verifyMany: async (pairs, options) => pairs.map((p) => verifyPair(p.gold, p.pred, options)),
};

/** Answers each prompt with a fixed continuation and records the sampling parameters it was asked with. */
class ScriptedPolicy implements Policy {
  readonly id = 'scripted';
  readonly calls: Array<{ prompts: string[]; params: SamplingParams }> = [];
  constructor(private readonly script: Record<string, string>) {}
  async generate(prompts: string[], params: SamplingParams): Promise<Completion[]> {
    this.calls.push({ prompts, params });
    return prompts.map((p, promptIndex) => ({
      promptIndex,
      sampleIndex: 0,
      text: this.script[p] ?? '',
      tokenIds: [],
      logprobs: null,
      finishReason: 'stop' as const,
    }));
  }
  score(): never {
    throw new Error('not used');
  }
}

test('probe records: remainder, word-truncated comparison, answer found by the last-number fallback', async () => {
  const items: ProbeItem[] = [
    { id: 'a', problem: 'Find the sum of 12 and 30, then double it.', answer: '84', leaked: true },
    { id: 'b', problem: 'Find the sum of 12 and 31, then halve it.', answer: '21.5', leaked: false },
  ];
  const policy = new ScriptedPolicy({
    // verbatim remainder, then a solution: only the first 5 words are compared
    'Find the sum of 12 and 30': ', then double it. So 2*(12+30) = 84',
    // rouge tokens [then, triple, it] vs [then, halve, it]: a wrong verb
    'Find the sum of 12 and 31': ', then triple it. The answer is 129.',
  });
  const { records, skipped } = await runContaminationProbe(policy, items, {
    ratios: [0.6],
    verifier,
    answerTokens: 10,
  });
  assert.deepEqual(skipped, []);
  const [a, b] = records;
  assert.equal(a.remainder, ', then double it.');
  assert.equal(a.compared, ', then double it.');
  assert.equal(a.rouge_l, 1);
  assert.equal(a.exact_match, true);
  assert.equal(a.answer_correct, true);
  assert.equal(a.extracted_answer, '84');
  assert.equal(b.compared, ', then triple it.');
  // tokens then halve it vs then triple it: LCS 2 of 3 → F1 2/3
  assert.ok(Math.abs(b.rouge_l - 2 / 3) < 1e-12);
  assert.equal(b.exact_match, false);
  assert.equal(b.answer_correct, false);
  // greedy; budget ⌈1.25 · 17 chars⌉ = 22 → 32 (bucket 16) + 10 answer tokens, without a tokenizer
  for (const call of policy.calls) {
    assert.equal(call.params.temperature, 0);
    assert.equal(call.params.maxNewTokens, 42);
  }
  const [summary] = summarizeProbe(records, skipped, [0.6], { resamples: 200 });
  assert.equal(summary.n, 2);
  assert.ok(Math.abs(summary.rouge_l.value - (1 + 2 / 3) / 2) < 1e-12);
  assert.equal(summary.exact_match.value, 0.5);
  assert.deepEqual(summary.auroc, { rouge_l: 1, exact_match: 1, answer_correct: 1 });
});

test('items with nothing left to complete are skipped and counted', async () => {
  const items: ProbeItem[] = [{ id: 'x', problem: 'Compute twelve', answer: '12' }];
  const { records, skipped } = await runContaminationProbe(new ScriptedPolicy({}), items, {
    ratios: [0.9],
    verifier,
  });
  assert.deepEqual(records, []);
  assert.deepEqual(skipped, [{ id: 'x', prefix_ratio: 0.9 }]);
  assert.equal(summarizeProbe(records, skipped, [0.9])[0].skipped, 1);
  await assert.rejects(
    runContaminationProbe(new ScriptedPolicy({}), items, { ratios: [1.2], verifier }),
    /prefix ratio 1.2 is not in \(0, 1\)/,
  );
});

/** Mean negative log-likelihood of the completion tokens. */
const nll: LossFn = {
  key: 'nll',
  build: ({ logprobs, completionMask }) => ({
    loss: T.div(T.neg(T.reduceSum(T.mul(logprobs, completionMask))), T.reduceSum(completionMask)),
  }),
};

test('planted contamination: a char model trained on half of the questions scores them above the unseen half', async () => {
  const names = ['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal', 'Ivy', 'Jo', 'Kim', 'Lu'];
  const things = ['pens', 'cups', 'hats', 'keys', 'rugs', 'jars'];
  const rng = new Rng(1);
  const items: ProbeItem[] = Array.from({ length: 16 }, (_, i) => {
    const [a, b] = [10 + rng.int(90), 10 + rng.int(90)];
    const [name, thing] = [names[rng.int(names.length)], things[rng.int(things.length)]];
    return {
      id: `q${i}`,
      problem: `${name} has ${a} ${thing} and gets ${b} more. How many ${thing} now?`,
      answer: String(a + b),
      leaked: i % 2 === 0,
    };
  });
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-planted-'));
  writeCharModelDir(dir, { seed: 0 });
  const lm = CausalLM.load(dir);
  const tok = lm.tokenizer;
  // the leaked questions with their answers, in a format other than the probe's (as the organism plants them)
  const texts = items.filter((x) => x.leaked).map((x) => `${x.problem} Answer: ${x.answer}`);
  const batch = {
    promptIds: texts.map((s) => tok.encode(s.slice(0, 1))),
    completionIds: texts.map((s) => [
      ...tok.encode(s.slice(1), { addSpecialTokens: false }),
      tok.eosTokenIds[0],
    ]),
  };
  const trainer = new Trainable(lm, {
    schedule: { kind: 'constant', lr: 1e-2 },
    optimizer: { weightDecay: 0 },
  });
  let loss = Infinity;
  for (let step = 0; step < 200; step++) {
    loss = (await trainer.accumulate(batch, nll)).loss;
    trainer.applyStep();
  }
  assert.ok(loss < 0.05, `training loss ${loss}`);
  const { records, skipped } = await runContaminationProbe(new EmbeddedPolicy(lm), items, {
    verifier,
    tokenizer: tok,
    answerTokens: 16,
  });
  const summaries = summarizeProbe(records, skipped, [0.4, 0.6, 0.8], { resamples: 200 });
  for (const s of summaries) {
    assert.equal(s.n, 16);
    assert.ok(s.auroc!.rouge_l! >= 0.95, `ratio ${s.prefix_ratio}: AUROC(rouge_l) ${s.auroc!.rouge_l}`);
    assert.ok(s.by_label!.leaked.rouge_l.value > s.by_label!.clean.rouge_l.value);
  }
  const at60 = summaries[1];
  assert.ok(
    at60.by_label!.leaked.exact_match.value >= 0.75,
    `leaked EM ${at60.by_label!.leaked.exact_match.value}`,
  );
  assert.ok(at60.by_label!.clean.answer_accuracy.value < at60.by_label!.leaked.answer_accuracy.value);
});
