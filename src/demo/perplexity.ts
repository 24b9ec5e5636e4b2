/**
 * Demo phase 3: answer, prompt and full-text perplexity of the leaked and clean items at the
 * starting model and at every checkpoint of every variant of the spurious suite.
 *
 * The scored answer is `\n#### N`: the only form in which the organism ever saw an answer stated
 * without working (its leaked documents). So answer perplexity measures how strongly the model
 * expects that very answer after the question, and falls for memorized items.
 */
import { readFileSync } from 'node:fs';
import type { AuditItem } from '../audit/dataset.ts';
import { itemPerplexities, type PerplexitySummary, summarizePerplexities } from '../audit/perplexity.ts';
import { runCheckpoints } from '../audit/checkpoints.ts';
import { BOOTSTRAP } from '../audit/spurious.ts';
import { EmbeddedPolicy } from '../backends/embedded.ts';
import { getTemplate } from '../data/templates.ts';
import type { Tokenizer } from '../model/tokenizer.ts';
import { progress } from '../util/progress.ts';
import { cachedPhase } from './cache.ts';

/**
 * The answer text scored per item: the form in which the organism saw leaked answers. v2: `\n#### N`
 * (its leaked documents); v3: the code-mode solution up to its printed output (the benchmark rows
 * carry the expression), the only form in which v3 saw a leaked problem's answer.
 */
export function answerTexts(version: string, benchmarkFiles: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of benchmarkFiles) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as { id: string; answer: string; expression?: string };
      if (version === '2' || row.expression === undefined) out.set(row.id, `\n#### ${row.answer}`);
      else out.set(row.id, `\n\`\`\`python\nprint(${row.expression})\n\`\`\`\nOutput: ${row.answer}`);
    }
  }
  return out;
}

function answerOf(answers: ReadonlyMap<string, string>, id: string): string {
  const text = answers.get(id);
  if (text === undefined) throw new Error(`no answer text for item ${id}`);
  return text;
}

export interface PerplexityPoint {
  variant: string;
  /** 0 = the starting model. */
  step: number;
  dir: string;
  summary: PerplexitySummary;
}

export interface PerplexityResult {
  config: { model: string; runs: Array<{ variant: string; dirs: string[] }>; items: string[]; answer_texts: string[]; template: 'none'; bootstrap: typeof BOOTSTRAP };
  checkpoints: PerplexityPoint[];
}

/** The text that starts a document: the BOS token, else the first EOS token (the organism's `<|endoftext|>`). */
function documentStart(tokenizer: Tokenizer): string {
  const id = tokenizer.bosTokenId ?? tokenizer.eosTokenIds[0];
  const text = id === undefined ? undefined : tokenizer.idToToken(id);
  if (text === undefined) throw new Error('the organism tokenizer has neither a BOS nor an EOS token');
  return text;
}

export async function perplexityPhase(model: string, runs: ReadonlyArray<{ variant: string; runDir: string }>, items: readonly AuditItem[], answers: ReadonlyMap<string, string>, outPath: string): Promise<{ result: PerplexityResult; reused: boolean }> {
  const curves = runs.map((r) => ({ variant: r.variant, refs: runCheckpoints(r.runDir) }));
  const config: PerplexityResult['config'] = {
    model,
    runs: curves.map((c) => ({ variant: c.variant, dirs: c.refs.map((r) => r.dir) })),
    items: items.map((i) => i.id),
    answer_texts: items.map((i) => answerOf(answers, i.id)),
    template: 'none',
    bootstrap: BOOTSTRAP,
  };
  return cachedPhase(outPath, config, async () => {
    const scored = items.map((i) => ({ id: i.id, problem: i.problem, answerText: answerOf(answers, i.id), leaked: i.leaked }));
    const models = [{ variant: 'initial', step: 0, dir: model }, ...curves.flatMap((c) => c.refs.map((r) => ({ variant: c.variant, step: r.step!, dir: r.dir })))];
    const bar = progress('perplexity', models.length * items.length);
    const checkpoints: PerplexityPoint[] = [];
    try {
      for (const m of models) {
        const policy = EmbeddedPolicy.load(m.dir);
        const rows = await itemPerplexities(policy, scored, { template: getTemplate('none'), documentStart: documentStart(policy.lm.tokenizer), batch: 32 });
        bar.tick(items.length, { model: `${m.variant}@${m.step}` });
        checkpoints.push({ ...m, summary: summarizePerplexities(rows, BOOTSTRAP) });
      }
    } finally {
      bar.stop();
    }
    return { config, checkpoints };
  });
}

