import { z } from 'zod';
import { missingInput } from './errors.ts';
import type { Reward, TokenLogits } from './types.ts';

export const selfCertaintySchema = z.strictObject({});

/**
 * KL(U ‖ softmax(z)) for one token's logits z over vocabulary V:
 * logsumexp(z) − mean(z) − log|V| (INTUITOR, arXiv 2505.19590). Always ≥ 0; 0 for a uniform row.
 */
export function tokenSelfCertainty(z: ArrayLike<number>): number {
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    if (z[i] > max) max = z[i];
    sum += z[i];
  }
  let exp = 0;
  for (let i = 0; i < z.length; i++) exp += Math.exp(z[i] - max);
  return max + Math.log(exp) - sum / z.length - Math.log(z.length);
}

function perToken(t: TokenLogits): number[] {
  return 'rows' in t ? t.rows.map(tokenSelfCertainty) : t.selfCertainty;
}

/** INTUITOR's intrinsic reward: mean per-token self-certainty of the response. Needs logits. */
export function selfCertainty(): Reward {
  return {
    name: 'self_certainty',
    needs: ['logits'],
    async score(group) {
      const logits = group.logits;
      if (!logits || logits.length !== group.responses.length) throw missingInput('self_certainty', 'token logits for every response');
      return logits.map((t) => {
        const values = perToken(t);
        const score = values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
        return { score, info: { tokens: values.length } };
      });
    },
  };
}
