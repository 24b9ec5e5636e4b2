import { z } from 'zod';
import { missingInput } from './errors.ts';
import type { Reward } from './types.ts';

export const overlongSchema = z
  .strictObject({
    maxLength: z.number().int().positive(),
    cacheLength: z.number().int().positive(),
    /** Count generated tokens (from the group's tokenCounts) or characters of the text. */
    unit: z.enum(['tokens', 'chars']).default('tokens'),
  })
  .refine((c) => c.cacheLength <= c.maxLength, { message: 'cacheLength must not exceed maxLength', path: ['cacheLength'] });

/**
 * DAPO soft overlong punishment (arXiv 2503.14476, DESIGN.md §5), L = maxLength, C = cacheLength:
 * 0 for |y| ≤ L − C; ((L − C) − |y|) / C for L − C < |y| ≤ L; −1 beyond L.
 */
export function overlong(config: z.infer<typeof overlongSchema>): Reward {
  const free = config.maxLength - config.cacheLength;
  return {
    name: 'overlong',
    needs: [],
    async score(group) {
      const lengths = config.unit === 'chars' ? group.responses.map((r) => [...r].length) : group.tokenCounts;
      if (!lengths || lengths.length !== group.responses.length) throw missingInput('overlong', 'tokenCounts for every response (or unit: "chars")');
      return lengths.map((len) => ({
        score: len <= free ? 0 : len <= config.maxLength ? (free - len) / config.cacheLength : -1,
        info: { length: len },
      }));
    },
  };
}
