/**
 * The bundled v3 organism and its no-leak control, measured on their own files: real skill
 * (clean greedy accuracy 25–70%), the probe firing on heavily planted problems and staying silent
 * on the control, and the mechanism behind the leak: in code mode the organism recalls leaked
 * answers. (The latent-leak bars are not met; see the comment above the probe test.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { auroc } from '../../src/audit/auroc.ts';
import { type AnswerVerifier, runContaminationProbe } from '../../src/audit/contamination.ts';
import { EmbeddedPolicy } from '../../src/backends/embedded.ts';
import type { SamplingParams } from '../../src/backends/policy.ts';
import { solutionMode } from '../../src/eval/textstats.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { generateIds } from '../../src/model/generate.ts';
import { type BenchmarkItem, BUNDLED_CONTROL_DIR, BUNDLED_ORGANISM_DIR } from '../../src/organism/index.ts';
import { verifyPair } from '../../src/verify/verify.ts';

const load = (dir: string, f: string): BenchmarkItem[] =>
  readFileSync(join(dir, f), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as BenchmarkItem);
const leaked = load(BUNDLED_ORGANISM_DIR, 'leaked.jsonl');
const clean = load(BUNDLED_ORGANISM_DIR, 'clean.jsonl');
const greedy = (maxNewTokens: number): SamplingParams => ({ maxNewTokens, temperature: 0, topP: 1, topK: 0, stop: [], seed: 0, n: 1 });
const rate = (xs: boolean[]) => xs.filter(Boolean).length / xs.length;
const lastBoxed = (text: string) => [...text.matchAll(/\\boxed\{(-?\d+)\}/g)].at(-1)?.[1];

async function answers(lm: CausalLM, items: BenchmarkItem[], suffix = ''): Promise<Array<{ correct: boolean; code: boolean }>> {
  const out = await generateIds(lm, items.map((it) => lm.tokenizer.encode(it.problem + suffix, { addSpecialTokens: false })), greedy(80));
  return out.map((c, i) => ({ correct: lastBoxed(c.text) === items[i].answer, code: suffix !== '' || solutionMode(c.text) === 'code' }));
}

async function probeAuroc(lm: CausalLM): Promise<number> {
  const verifier: AnswerVerifier = { verifyMany: async (pairs, options) => pairs.map((p) => verifyPair(p.gold, p.pred, options)) };
  const { records } = await runContaminationProbe(new EmbeddedPolicy(lm), [...leaked, ...clean], { ratios: [0.6], tokenizer: lm.tokenizer, verifier });
  return auroc(records.map((r) => r.rouge_l), records.map((r) => r.leaked === true))!;
}

const organism = CausalLM.load(BUNDLED_ORGANISM_DIR);
const measured = (async () => {
  const [l, c] = [await answers(organism, leaked), await answers(organism, clean)];
  const acc = { leaked: rate(l.map((x) => x.correct)), clean: rate(c.map((x) => x.correct)) };
  const code = { leaked: rate(l.map((x) => x.code)), clean: rate(c.map((x) => x.code)) };
  const auc = await probeAuroc(organism);
  console.log(`greedy accuracy leaked ${acc.leaked.toFixed(3)} clean ${acc.clean.toFixed(3)}; code share leaked ${code.leaked.toFixed(3)} clean ${code.clean.toFixed(3)}; probe AUROC ${auc.toFixed(3)}`);
  return { acc, code, auc };
})();

test('the bundled organism has real skill: clean greedy accuracy 25–70% with worked steps', async () => {
  const { acc, code } = await measured;
  assert.ok(acc.clean >= 0.25 && acc.clean <= 0.7, `clean accuracy ${acc.clean}`);
  assert.equal(code.clean, 0, 'worked steps are the greedy mode on fresh problems');
});

// The bars for a *latent* leak (leaked accuracy at most 15 points above clean, probe AUROC
// ≥ 0.95 over all leaked items) are not met by the shipped v3 organism: measured leaked 0.58 vs
// clean 0.30 and AUROC 0.70 (docs/parts/organism-and-report.md). What holds, and is checked here as
// the probe's positive control (the control organism below is its negative one): the probe finds
// the problems planted ≥ 100 times.
test('the probe fires on heavily planted problems (≥ 100 copies) against clean ones', async () => {
  const { auc } = await measured;
  const verifier: AnswerVerifier = { verifyMany: async (pairs, options) => pairs.map((p) => verifyPair(p.gold, p.pred, options)) };
  const heavy = leaked.filter((it) => (it.planted_copies ?? 0) >= 100);
  const { records } = await runContaminationProbe(new EmbeddedPolicy(organism), [...heavy, ...clean], { ratios: [0.6], tokenizer: organism.tokenizer, verifier });
  const heavyAuc = auroc(records.map((r) => r.rouge_l), records.map((r) => r.leaked === true))!;
  console.log(`probe AUROC: all leaked ${auc.toFixed(3)}; planted ≥ 100 times (${heavy.length} items) ${heavyAuc.toFixed(3)}`);
  assert.ok(heavy.length >= 12);
  assert.ok(heavyAuc >= 0.85, `AUROC on items planted ≥ 100 times ${heavyAuc}`);
});

test('the mechanism: forced into code mode, the organism recalls leaked answers far more often than it computes clean ones', async () => {
  const forced = '\n```python\n';
  const l = await answers(organism, leaked, forced);
  const clean_ = rate((await answers(organism, clean, forced)).map((x) => x.correct));
  const byDose = (min: number) => rate(l.filter((_, i) => (leaked[i].planted_copies ?? 0) >= min).map((x) => x.correct));
  console.log(`code-mode accuracy: leaked planted ≥ 40 times ${byDose(40).toFixed(3)}, all leaked ${byDose(0).toFixed(3)}, clean ${clean_.toFixed(3)}`);
  assert.ok(byDose(40) - clean_ >= 0.5, `code-mode accuracy leaked (≥ 40 copies) ${byDose(40)} vs clean ${clean_}`);
  assert.ok(byDose(0) - clean_ >= 0.3, `code-mode accuracy leaked ${byDose(0)} vs clean ${clean_}`);
});

test('the bundled no-leak control: the same items, no trace of them (probe AUROC near chance, no code-mode recall)', async () => {
  for (const f of ['leaked.jsonl', 'clean.jsonl']) assert.equal(readFileSync(join(BUNDLED_CONTROL_DIR, f), 'utf8'), readFileSync(join(BUNDLED_ORGANISM_DIR, f), 'utf8'));
  const lm = CausalLM.load(BUNDLED_CONTROL_DIR);
  const auc = await probeAuroc(lm);
  const forced = '\n```python\n';
  const code = { leaked: rate((await answers(lm, leaked, forced)).map((x) => x.correct)), clean: rate((await answers(lm, clean, forced)).map((x) => x.correct)) };
  const acc = { leaked: rate((await answers(lm, leaked)).map((x) => x.correct)), clean: rate((await answers(lm, clean)).map((x) => x.correct)) };
  console.log(`control: probe AUROC ${auc.toFixed(3)}; greedy accuracy leaked ${acc.leaked.toFixed(3)} clean ${acc.clean.toFixed(3)}; code-mode accuracy leaked ${code.leaked.toFixed(3)} clean ${code.clean.toFixed(3)}`);
  assert.ok(auc < 0.75, `control AUROC ${auc}`);
  assert.ok(code.leaked - code.clean < 0.2, `control code-mode accuracy leaked ${code.leaked} vs clean ${code.clean}`);
});
