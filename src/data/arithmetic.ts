/**
 * Freshly generated arithmetic word problems small enough for a model trained from scratch on a
 * CPU: one addition or subtraction of operands in [0, maxOperand], with a one-line worked solution
 * ending in a GSM8K-style final answer (`#### N`).
 */
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { BenchmarkItem } from './types.ts';

export interface ArithmeticOptions {
  n: number;
  seed: number;
  maxOperand: number;
  /** Id prefix, so two generated splits never share ids. */
  prefix?: string;
  /**
   * Share of worked solutions that end one too high, as from an imperfect teacher: SFT on them
   * leaves the right answer in the model's distribution but not on top, which a verifiable reward
   * can then fix. The gold `answer` is always right.
   */
  teacherErrorRate?: number;
}

const NAMES = ['Ann', 'Bo', 'Cy', 'Di', 'Ed', 'Flo'];
const THINGS = ['apple', 'pen', 'coin', 'cup'];

export function arithmeticSolution(a: number, b: number, op: '+' | '-', offset = 0): string {
  const c = (op === '+' ? a + b : a - b) + offset;
  return `${a}${op}${b}=${c}\n#### ${c}`;
}

/** Items with `meta.solution` (the SFT target) and `meta.expression`; the same options give the same items. */
export function generateArithmetic(opts: ArithmeticOptions): BenchmarkItem[] {
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new UserError(`arithmetic: n must be a positive integer, got ${opts.n}`);
  if (!Number.isInteger(opts.maxOperand) || opts.maxOperand < 1) throw new UserError(`arithmetic: max_operand must be a positive integer, got ${opts.maxOperand}`);
  const errorRate = opts.teacherErrorRate ?? 0;
  if (!(errorRate >= 0 && errorRate <= 1)) throw new UserError(`arithmetic: teacher_error_rate must be in [0, 1], got ${errorRate}`);
  const rng = new Rng(opts.seed);
  const items: BenchmarkItem[] = [];
  for (let i = 0; i < opts.n; i++) {
    const name = NAMES[rng.int(NAMES.length)];
    const thing = THINGS[rng.int(THINGS.length)];
    let a = rng.int(opts.maxOperand + 1);
    let b = rng.int(opts.maxOperand + 1);
    const op = rng.int(2) === 0 ? '+' : '-';
    if (op === '-' && b > a) [a, b] = [b, a];
    const problem =
      op === '+'
        ? `${name} has ${a} ${thing}s and gets ${b} more. How many ${thing}s?`
        : `${name} has ${a} ${thing}s and gives away ${b}. How many ${thing}s?`;
    const answer = String(op === '+' ? a + b : a - b);
    items.push({
      id: `${opts.prefix ?? 'arith'}/${i}`,
      problem,
      answer,
      meta: { solution: arithmeticSolution(a, b, op, errorRate > 0 && rng.uniform() < errorRate ? 1 : 0), expression: `${a}${op}${b}` },
    });
  }
  return items;
}
