import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedPolicy } from '../../src/backends/embedded.ts';
import { itemPerplexities, perplexity, summarizePerplexities } from '../../src/audit/perplexity.ts';
import { getTemplate } from '../../src/data/templates.ts';
import { writeCharModelDir } from '../../src/model/init.ts';

const items = [
  { id: 'a', problem: 'What is 12 + 30?', answerText: ' 42', leaked: true },
  { id: 'b', problem: 'Double 7.', answerText: ' 14', leaked: false },
  { id: 'c', problem: 'Halve 90, then add 1.', answerText: ' 46', leaked: false },
];

function charPolicy(): EmbeddedPolicy {
  const dir = mkdtempSync(join(tmpdir(), 'rlvr-ppl-'));
  writeCharModelDir(dir, { seed: 3 });
  return EmbeddedPolicy.load(dir);
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('perplexity is exp of minus the mean log-probability', () => {
  assert.equal(perplexity([Math.log(0.5), Math.log(0.5)]), 2);
  assert.ok(Math.abs(perplexity([Math.log(0.5), Math.log(0.125)]) - 4) < 1e-12);
  assert.throws(() => perplexity([]), /zero tokens/);
});

test('answer, prompt and full-text perplexities match the scorer on the documented texts', async () => {
  const policy = charPolicy();
  const eos = '<|endoftext|>';
  const rows = await itemPerplexities(policy, items, {
    template: getTemplate('r1-zero'),
    documentStart: eos,
    batch: 2,
  });
  const prompts = items.map((x) => getTemplate('r1-zero').text(x.problem));
  const leadIn = prompts[0].slice(0, prompts[0].indexOf(items[0].problem));
  const answer = await policy.score({ prompts, completions: items.map((x) => x.answerText) });
  const question = await policy.score({
    prompts: items.map(() => leadIn),
    completions: items.map((x) => x.problem),
  });
  const full = await policy.score({
    prompts: items.map(() => eos),
    completions: items.map((x, i) => prompts[i] + x.answerText),
  });
  const ppl = (lp: number[]) => Math.exp(-lp.reduce((a, b) => a + b, 0) / lp.length);
  rows.forEach((r, i) => {
    assert.equal(r.id, items[i].id);
    assert.equal(r.leaked, items[i].leaked);
    assert.ok(rel(r.answer_ppl, ppl(answer.logprobs[i])) < 1e-9);
    assert.ok(rel(r.prompt_ppl, ppl(question.logprobs[i])) < 1e-9);
    assert.ok(rel(r.full_ppl, ppl(full.logprobs[i])) < 1e-9);
    assert.equal(r.answer_tokens, items[i].answerText.length);
    assert.equal(r.prompt_tokens, items[i].problem.length);
    assert.equal(r.full_tokens, prompts[i].length + items[i].answerText.length);
  });
});

test('full text is one sequence: its log-likelihood = question given the document start + answer given both', async () => {
  const policy = charPolicy();
  const eos = '<|endoftext|>';
  const rows = await itemPerplexities(policy, items, { template: getTemplate('none'), documentStart: eos });
  const answerAfterStart = await policy.score({
    prompts: items.map((x) => eos + x.problem),
    completions: items.map((x) => x.answerText),
  });
  rows.forEach((r, i) => {
    const total = r.full_tokens * Math.log(r.full_ppl);
    const parts =
      r.prompt_tokens * Math.log(r.prompt_ppl) - answerAfterStart.logprobs[i].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - parts) < 1e-3, `${r.id}: ${total} vs ${parts}`);
  });
  const summary = summarizePerplexities(rows, { resamples: 200 });
  assert.equal(summary.n, 3);
  const sorted = rows.map((r) => r.answer_ppl).sort((a, b) => a - b);
  assert.equal(summary.answer_ppl.median.value, sorted[1]);
  assert.ok(Math.abs(summary.answer_ppl.mean.value - sorted.reduce((a, b) => a + b, 0) / 3) < 1e-9);
  const [lo, hi] = summary.answer_ppl.median.ci;
  assert.ok(lo >= sorted[0] && hi <= sorted[2] && lo <= hi);
  assert.equal(summary.by_label!.leaked.n, 1);
  assert.equal(summary.by_label!.clean.n, 2);
});
