/** A tiny random character model and a dataset whose gold answers are partly the model's own answers. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPolicy } from '../../src/backends/embedded.ts';
import { defaultSampling } from '../../src/backends/policy.ts';
import { getTemplate } from '../../src/data/templates.ts';
import { sampleSeed } from '../../src/eval/run.ts';
import { CausalLM } from '../../src/model/causal-lm.ts';
import { writeCharModelDir } from '../../src/model/init.ts';
import { verifyPair } from '../../src/verify/verify.ts';

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `rlvr-${tag}-`));
}

/** initializer_range 0.2: at the default 0.02 a random model's greedy text collapses to one repeated character. */
export function charModel(seed = 21): string {
  const dir = tempDir('eval-model');
  writeCharModelDir(dir, { seed, config: { initializer_range: 0.2 } });
  return dir;
}

export interface Row {
  id: string;
  problem: string;
  answer: string;
  subject: string;
  level: number;
}

/**
 * `count` items; for every other item the gold answer is what the unbatched embedded engine
 * answers as that item's sample 0 (template `none`, verbatim extraction, the runner's per-sample
 * seed), where the verifier accepts that text as an answer, so those items must come out
 * correct on sample 0 and the metrics are not all zero.
 */
export async function plantedDataset(
  modelDir: string,
  count: number,
  sampling: { temperature: number; topP: number; maxNewTokens: number; seed: number },
): Promise<{ path: string; rows: Row[]; planted: string[] }> {
  const policy = new EmbeddedPolicy(CausalLM.load(modelDir));
  const rows: Row[] = [];
  const planted: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `item-${i}`;
    const problem = `Compute ${i} + ${i * 3}.`;
    let answer = String(4 * i);
    if (i % 2 === 0) {
      const params = { ...defaultSampling, ...sampling, n: 1, seed: sampleSeed(sampling.seed, id, 0) };
      const [c] = await policy.generate([getTemplate('none').text(problem)], params);
      if (verifyPair(c.text, c.text, { extractors: ['verbatim'] }).correct) {
        answer = c.text;
        planted.push(id);
      }
    }
    rows.push({ id, problem, answer, subject: i % 3 === 0 ? 'algebra' : 'geometry', level: 1 + (i % 2) });
  }
  const path = join(tempDir('eval-data'), 'planted.jsonl');
  writeFileSync(path, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  return { path, rows, planted };
}

export const fields = { idField: 'id', subjectField: 'subject', levelField: 'level' };

export function readSamples(outDir: string): Array<Record<string, unknown>> {
  return readFileSync(join(outDir, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** results.json without the parts that legitimately differ between runs (wall-clock timing). */
export function readResults(outDir: string): Record<string, unknown> {
  const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Record<string, unknown>;
  delete results.timing;
  return results;
}
