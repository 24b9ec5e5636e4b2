/**
 * Piscina entry point of the reward service: scores items with the composed reward, one after
 * another, announcing each item's index in shared memory so the parent can tell which item a
 * stuck or dead worker was on.
 */
import { workerData } from 'piscina';
import { composeRewards, inProcessVerify } from '../rewards/index.ts';
import { EXTRACTION_PRESETS, type Extractor } from '../verify/extract.ts';
import { verifyPair } from '../verify/verify.ts';
import type { ScoreItem, WorkerResult, WorkerSetup, WorkerTask } from './types.ts';

const setup = workerData as WorkerSetup;
// The worker thread is the isolation and its parent the clock, so the verifier runs in-process here.
const reward = composeRewards(setup.rewards, { verify: inProcessVerify });
const hasAccuracy = setup.rewards.some((r) => r.name === 'accuracy');
const extractors: readonly Extractor[] = EXTRACTION_PRESETS[setup.extractors];

/** The `correct` diagnostic: the accuracy reward's own verdict, else a verification of its own. */
function diagnostic(item: ScoreItem, info: Record<string, unknown>, components: Record<string, number>) {
  if (hasAccuracy) {
    const acc = info.accuracy as { extracted: string | null; reason: string };
    return { correct: components.accuracy === 1, extracted: acc.extracted ?? '', reason: acc.reason };
  }
  if (item.gold === undefined) return { correct: false, extracted: '', reason: 'no reference answer' };
  const v = verifyPair(item.gold, item.response, { extractors });
  return { correct: v.correct, extracted: v.extracted ?? '', reason: v.reason };
}

async function scoreOne(item: ScoreItem): Promise<Omit<WorkerResult, 'ms'>> {
  try {
    const [r] = await reward.score({
      prompt: item.prompt,
      responses: [item.response],
      gold: item.gold,
      metadata: item.metadata,
      step: item.step,
      promptId: item.promptId,
    });
    return { score: r.score, components: r.components, ...diagnostic(item, r.info, r.components), timeout: false, error: '' };
  } catch (err) {
    // A reward that cannot score this item (e.g. accuracy without a reference) costs the item only.
    const message = (err as Error).message ?? String(err);
    return { score: NaN, components: {}, correct: false, extracted: '', reason: message, timeout: false, error: message };
  }
}

export default async function scoreTask(task: WorkerTask | null): Promise<WorkerResult[]> {
  if (task === null) return [];
  const progress = new Int32Array(task.progress);
  const out: WorkerResult[] = [];
  for (const [i, item] of task.items.entries()) {
    Atomics.store(progress, 0, i);
    const t = performance.now();
    const r = await scoreOne(item);
    out.push({ ...r, ms: performance.now() - t });
  }
  return out;
}
