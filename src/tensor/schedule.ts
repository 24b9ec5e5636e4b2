import { ShapeError } from './errors.ts';

export type Schedule =
  | { kind: 'constant'; lr: number; warmupSteps?: number }
  | { kind: 'cosine'; lr: number; warmupSteps: number; totalSteps: number; minLrRatio?: number }
  | { kind: 'linear'; lr: number; warmupSteps: number; totalSteps: number };

/** Learning rate for the 0-based optimizer step `step`: linear warmup, then constant, cosine or linear decay. */
export function learningRate(s: Schedule, step: number): number {
  if (!(s.lr >= 0)) throw new ShapeError(`schedule: lr must be ≥ 0, got ${s.lr}`);
  const warmup = s.warmupSteps ?? 0;
  if (step < warmup) return (s.lr * (step + 1)) / warmup;
  if (s.kind === 'constant') return s.lr;
  const span = Math.max(1, s.totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  if (s.kind === 'linear') return s.lr * (1 - progress);
  const floor = s.minLrRatio ?? 0;
  return s.lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
