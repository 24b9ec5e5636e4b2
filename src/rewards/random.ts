import { z } from 'zod';
import type { Reward } from './types.ts';

export const randomSchema = z.strictObject({
  gamma: z.number().min(0).max(1).default(0.5),
  seed: z.number().int().default(0),
});

/** 32-bit FNV-1a followed by a murmur3 finalizer: a well-mixed hash of the draw's key. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Spurious control: Bernoulli(gamma), independent of the response. The draw is a hash of
 * (seed, step, prompt id, sample index) and never reads the text, so reruns reproduce it and
 * shuffling or editing responses cannot change it.
 */
export function random(config: z.infer<typeof randomSchema>): Reward {
  return {
    name: 'random',
    needs: [],
    async score(group) {
      return group.responses.map((_, i) => {
        const u = hash32(`${config.seed}|${group.step ?? 0}|${group.promptId ?? group.prompt}|${i}`) / 2 ** 32;
        return { score: u < config.gamma ? 1 : 0, info: { draw: u } };
      });
    },
  };
}
