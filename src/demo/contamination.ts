/** Demo phase 1: the partial-prompt contamination probe on the leaked and clean benchmarks together. */
import { join } from 'node:path';
import { runContaminationProbe, type RatioSummary, summarizeProbe } from '../audit/contamination.ts';
import type { AuditItem } from '../audit/dataset.ts';
import { EmbeddedPolicy } from '../backends/embedded.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { progress } from '../util/progress.ts';
import { VerifierPool } from '../verify/pool.ts';
import { BOOTSTRAP } from '../audit/spurious.ts';
import { cachedPhase } from './cache.ts';

export interface ContaminationResult {
  config: { model: string; items: string[]; ratios: number[]; bootstrap: typeof BOOTSTRAP };
  ratios: RatioSummary[];
  skipped: number;
}

export async function contaminationPhase(model: string, items: readonly AuditItem[], ratios: number[], outDir: string): Promise<{ result: ContaminationResult; reused: boolean }> {
  const config = { model, items: items.map((i) => i.id), ratios, bootstrap: BOOTSTRAP };
  return cachedPhase(join(outDir, 'summary.json'), config, async () => {
    const policy = EmbeddedPolicy.load(model);
    const verifier = new VerifierPool({ threads: 1 });
    const bar = progress('contamination probe', items.length * ratios.length);
    let ticked = 0;
    try {
      const { records, skipped } = await runContaminationProbe(policy, items, {
        ratios,
        tokenizer: policy.lm.tokenizer,
        verifier,
        onProgress: (done) => {
          bar.tick(done - ticked);
          ticked = done;
        },
      });
      writeFileAtomic(join(outDir, 'items.jsonl'), records.map((r) => JSON.stringify(r) + '\n').join(''));
      return { config, ratios: summarizeProbe(records, skipped, ratios, BOOTSTRAP), skipped: skipped.length };
    } finally {
      bar.stop();
      await verifier.close();
    }
  });
}
