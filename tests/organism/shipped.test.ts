/**
 * The bundled v16 organism (seed 17) and its no-leak control, measured on their own files: real skill
 * (clean greedy accuracy 25–70%), a latent leak (leaked accuracy at most 15 points above clean)
 * that the partial-prompt probe still sees (AUROC ≥ 0.95) and that stays silent on the control,
 * and the mechanism behind the leak: in code mode the organism recalls leaked answers.
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

test('the bundled organism has real skill: clean greedy accuracy 25–70%', async () => {
  const { acc } = await measured;
  assert.ok(acc.clean >= 0.25 && acc.clean <= 0.7, `clean accuracy ${acc.clean}`);
});

test('the leak is latent: leaked greedy accuracy at most 15 points above clean, and the organism rarely enters code mode', async () => {
  const { acc, code } = await measured;
  assert.ok(acc.leaked - acc.clean <= 0.15, `leaked ${acc.leaked} vs clean ${acc.clean}`);
  assert.ok(code.leaked <= 0.2 && code.clean <= 0.2, `greedy code share leaked ${code.leaked}, clean ${code.clean}`);
});

test('the partial-prompt probe still separates leaked from clean items (AUROC ≥ 0.95)', async () => {
  const { auc } = await measured;
  assert.ok(auc >= 0.95, `probe AUROC ${auc}`);
});

// Nine in ten of the leaked programs were memorized after their question *without* its question
// mark (a tenth with it): cued without the mark the organism recalls every output; forced into code
// mode after the question (with its mark, as the evaluation asks it) it recalls most of them, and
// computes few clean ones.
test('the mechanism: in code mode the organism recalls leaked answers far more often than it computes clean ones', async () => {
  const cued = await generateIds(
    organism,
    leaked.map((it) => organism.tokenizer.encode(`${it.problem.slice(0, -1)}\n\`\`\`python\nprint(${it.expression})\n\`\`\`\nOutput:`, { addSpecialTokens: false })),
    greedy(8),
  );
  const recalled = rate(cued.map((c, i) => c.text.startsWith(` ${leaked[i].answer}.`)));
  const forced = '\n```python\n';
  const l = rate((await answers(organism, leaked, forced)).map((x) => x.correct));
  const c = rate((await answers(organism, clean, forced)).map((x) => x.correct));
  console.log(`recall cued as memorized ${recalled.toFixed(3)}; code-mode accuracy leaked ${l.toFixed(3)}, clean ${c.toFixed(3)}`);
  assert.ok(recalled >= 0.9, `recall cued as memorized ${recalled}`);
  assert.ok(l - c >= 0.4, `code-mode accuracy leaked ${l} vs clean ${c}`);
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
