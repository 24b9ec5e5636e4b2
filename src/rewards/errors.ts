import type { z } from 'zod';
import { UserError } from '../util/errors.ts';

/** Validates a reward config, naming the reward, field and value on failure. */
export function parseConfig<T>(reward: string, schema: z.ZodType<T>, config: unknown): T {
  const parsed = schema.safeParse(config ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => {
    const field = i.path.join('.') || '(config)';
    const value = i.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), config);
    return `${field}: ${i.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`;
  });
  throw new UserError(`reward '${reward}': invalid config: ${issues.join('; ')}`);
}

/** A group that lacks an input the reward needs is a caller mistake, reported by name. */
export function missingInput(reward: string, what: string): UserError {
  return new UserError(`reward '${reward}' needs ${what}, which this group does not provide`);
}
