/**
 * The reward composition the service serves: the `rewards` section of a trainer config (same
 * names, weights and per-reward config), validated the way the trainer validates it, and
 * refused when a reward needs inputs an HTTP caller does not send.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { composeRewards, createReward, inProcessVerify, rewardSpecSchema } from '../rewards/index.ts';
import { UserError } from '../util/errors.ts';
import { EXTRACTION_PRESETS } from '../verify/extract.ts';
import type { WorkerSetup } from './types.ts';

/** Rewards that score a response from more than its text, prompt, reference and metadata. */
function unservable(spec: WorkerSetup['rewards'][number]): string | null {
  if (spec.name === 'majority_vote') return "reward 'majority_vote' votes across a group of responses to one prompt, and the service scores each response on its own; keep it in the trainer";
  if (spec.name === 'overlong' && (spec.config.unit ?? 'tokens') === 'tokens') return "reward 'overlong' counts tokens, which HTTP callers do not send; set its config unit: chars, or keep it in the trainer";
  return null;
}

/** Validates `raw` (a parsed YAML document with a `rewards` list) into what the workers run. */
export function rewardServiceSetup(raw: unknown, source: string): WorkerSetup {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${source}: expected a YAML mapping with a 'rewards' list`);
  const doc = raw as Record<string, unknown>;
  if (doc.rewards === undefined) throw new UserError(`${source}: no 'rewards' section (a list of {name, weight, config}, as in the trainer config)`);
  const parsed = rewardSpecSchema.safeParse(doc.rewards);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `rewards.${i.path.join('.')}: ${i.message}`);
    throw new UserError(`${source}: ${issues.join('; ')}`);
  }
  const rewards = parsed.data;
  // Composing validates every reward's name and config exactly as the trainer does.
  composeRewards(rewards, { verify: inProcessVerify });
  const needLogits = rewards.filter((r) => createReward(r.name, r.config, { verify: inProcessVerify }).needs.includes('logits'));
  if (needLogits.length > 0) {
    throw new UserError(`${source}: reward ${needLogits.map((r) => `'${r.name}'`).join(', ')} needs the policy's token logits, which a reward service does not receive; remove it from 'rewards' or compute it in the trainer`);
  }
  for (const r of rewards) {
    const why = unservable(r);
    if (why) throw new UserError(`${source}: ${why}`);
  }
  const data = doc.data as Record<string, unknown> | undefined;
  const extractors = z.string().default('math').safeParse(data?.extractors);
  if (!extractors.success || !Object.hasOwn(EXTRACTION_PRESETS, extractors.data)) {
    throw new UserError(`${source}: data.extractors must be one of ${Object.keys(EXTRACTION_PRESETS).join(', ')}, got ${JSON.stringify(data?.extractors)}`);
  }
  return { rewards, extractors: extractors.data };
}

export function readRewardServiceConfig(path: string): WorkerSetup {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read config ${path}: ${(err as Error).message}`);
  }
  return rewardServiceSetup(raw, path);
}
