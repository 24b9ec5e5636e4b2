import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type AnswerVerifier, runContaminationProbe } from '../../src/audit/contamination.ts';
import { EmbeddedPolicy } from '../../src/backends/embedded.ts';
import type { SamplingParams } from '../../src/backends/policy.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { generateIds } from '../../src/model/generate.ts';
import { type BenchmarkItem, BUNDLED_ORGANISM_DIR } from '../../src/organism/index.ts';
import { verifyPair } from '../../src/verify/verify.ts';

const load = (f: string): BenchmarkItem[] =>
  readFileSync(join(BUNDLED_ORGANISM_DIR, f), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BenchmarkItem);
const leaked = load('leaked.jsonl');
const clean = load('clean.jsonl');
const lm = CausalLM.load(BUNDLED_ORGANISM_DIR);
const greedy = (maxNewTokens: number): SamplingParams => ({ maxNewTokens, temperature: 0, topP: 1, topK: 0, stop: [], seed: 0, n: 1 });
const encode = (s: string) => lm.tokenizer.encode(s, { addSpecialTokens: false });
const rate = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;

/** Does the greedy continuation of the first 60% of the characters reproduce the rest exactly? */
async function continuationExactMatch(items: BenchmarkItem[]): Promise<boolean[]> {
  const cut = items.map((it) => Math.floor(0.6 * it.problem.length));
  const out = await generateIds(lm, items.map((it, i) => encode(it.problem.slice(0, cut[i]))), greedy(72));
  return out.map((c, i) => c.text.startsWith(items[i].problem.slice(cut[i])));
}

/** Greedy answer to the problem as the prompt (template `none`): the last \boxed{N} or `#### N`. */
async function answerCorrect(items: BenchmarkItem[]): Promise<boolean[]> {
  const out = await generateIds(lm, items.map((it) => encode(it.problem)), greedy(80));
  return out.map((c, i) => {
    const answers = [...c.text.matchAll(/\\boxed\{(-?\d+)\}|#### (-?\d+)/g)].map((m) => m[1] ?? m[2]);
    return answers.at(-1) === items[i].answer;
  });
}

test('the shipped organism reproduces leaked questions from a 60% prefix and answers them, far more than clean ones', async () => {
  const em = { leaked: rate(await continuationExactMatch(leaked)), clean: rate(await continuationExactMatch(clean)) };
  const acc = { leaked: rate(await answerCorrect(leaked)), clean: rate(await answerCorrect(clean)) };
  console.log(`continuation EM leaked ${em.leaked.toFixed(2)} clean ${em.clean.toFixed(2)}; answer accuracy leaked ${acc.leaked.toFixed(2)} clean ${acc.clean.toFixed(2)}`);
  assert.ok(em.leaked - em.clean >= 0.5, `continuation EM: leaked ${em.leaked} vs clean ${em.clean}`);
  assert.ok(acc.leaked - acc.clean >= 0.5, `answer accuracy: leaked ${acc.leaked} vs clean ${acc.clean}`);
});

test("the audit probe's per-item ROUGE-L at prefix 0.6 separates leaked from clean items (AUROC ≥ 0.95)", async () => {
  const verifier: AnswerVerifier = { verifyMany: async (pairs, options) => pairs.map((p) => verifyPair(p.gold, p.pred, options)) };
  const policy = new EmbeddedPolicy(lm);
  const { records } = await runContaminationProbe(policy, [...leaked, ...clean], { ratios: [0.6], tokenizer: lm.tokenizer, verifier });
  const pos = records.filter((r) => r.leaked).map((r) => r.rouge_l);
  const neg = records.filter((r) => !r.leaked).map((r) => r.rouge_l);
  assert.equal(pos.length + neg.length, leaked.length + clean.length);
  // AUROC by its definition, P(leaked score > clean score) + ½ P(tie), over all pairs
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  const auc = wins / (pos.length * neg.length);
  console.log(`ROUGE-L AUROC at 0.6: ${auc.toFixed(3)} (mean leaked ${(pos.reduce((a, b) => a + b) / pos.length).toFixed(3)}, clean ${(neg.reduce((a, b) => a + b) / neg.length).toFixed(3)})`);
  assert.ok(auc >= 0.95, `AUROC ${auc}`);
});
