import { z } from 'zod';
import { evalFloat } from '../verify/evaluate.ts';
import { extractAnswer, goldAnswer } from '../verify/extract.ts';
import { normalizeAnswer } from '../verify/normalize.ts';
import { parseExpression, variables } from '../verify/parse.ts';
import { extractorsSchema } from './answer.ts';
import { missingInput } from './errors.ts';
import type { Reward } from './types.ts';

export const continuousNumericSchema = z.strictObject({
  extractors: extractorsSchema,
  /** Absolute error at which the absolute half of the score has decayed to 1/e. */
  absScale: z.number().positive().default(1),
  /** Relative error at which the relative half of the score has decayed to 1/e. */
  relScale: z.number().positive().default(0.1),
});

/** Real value of a numeric answer (LaTeX or plain), or null when it is not a finite real number. */
export function numericValue(answer: string): number | null {
  try {
    const tree = parseExpression(normalizeAnswer(answer).replace(/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/, (m) => m.replace(/,/g, '')));
    if (variables(tree).size > 0) return null;
    const v = evalFloat(tree, new Map());
    return v.im === 0 && Number.isFinite(v.re) ? v.re : null;
  } catch {
    return null;
  }
}

/**
 * Graded reward for numeric answers (RandomCalculation-style tasks), in [0, 1]:
 *   score = ½·exp(−|p − g| / absScale) + ½·exp(−(|p − g| / |g|) / relScale)
 * where g is the reference value and p the predicted one (the relative term is 0 when g = 0
 * and p ≠ 0). Exactly right scores 1; the absolute term punishes any miss on small numbers,
 * the relative term keeps credit proportional on large ones. No parsable number scores 0.
 */
export function continuousNumeric(config: z.infer<typeof continuousNumericSchema>): Reward {
  return {
    name: 'continuous_numeric',
    needs: [],
    async score(group) {
      if (group.gold === undefined) throw missingInput('continuous_numeric', 'a gold answer');
      const g = numericValue(goldAnswer(group.gold));
      if (g === null) throw missingInput('continuous_numeric', `a numeric gold answer (got ${JSON.stringify(group.gold)})`);
      return group.responses.map((r) => {
        const extracted = extractAnswer(r, config.extractors)?.answer ?? null;
        const p = extracted === null ? null : numericValue(extracted);
        if (p === null) return { score: 0, info: { extracted, reason: 'no numeric answer' } };
        const abs = Math.abs(p - g);
        const rel = g === 0 ? (abs === 0 ? 0 : Infinity) : abs / Math.abs(g);
        const score = 0.5 * Math.exp(-abs / config.absScale) + 0.5 * Math.exp(-rel / config.relScale);
        return { score, info: { extracted, value: p, absError: abs, relError: rel } };
      });
    },
  };
}
