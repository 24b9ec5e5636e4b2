import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { Rational } from './rational.ts';

/**
 * RandomCalculation: fresh arithmetic problems a model cannot have memorized (arXiv 2507.10532).
 * Each problem is a chain of operations; every step combines the running result with a new
 * operand, on a random side: ((a + b) × c) − d, or d − ((a + b) × c). Answers are exact rationals.
 */
export const RANDOMCALC_GENERATOR = 'rlvr-lab/randomcalc';
/** Bump when the items produced for a given seed and options change. */
export const RANDOMCALC_VERSION = '1';
export const ROUNDING_RULE = 'round half away from zero to 2 decimal places';

export interface RandomCalcOptions {
  n: number;
  seed: number;
  /** Operations per expression, drawn uniformly from [minSteps, maxSteps]; 1 ≤ minSteps ≤ maxSteps ≤ 20. */
  minSteps: number;
  maxSteps: number;
  /** Operands are uniform in [minOperand, maxOperand] on the grid of their decimal places. */
  minOperand: number;
  maxOperand: number;
  /** Each operand's number of decimal places is uniform in 0..maxDecimals (≤ 2). */
  maxDecimals: number;
  /** ISO timestamp written into every item; the generation time when absent. */
  createdAt?: string;
}

export const defaultRandomCalcOptions = { minSteps: 1, maxSteps: 20, minOperand: 1, maxOperand: 100, maxDecimals: 2 };

export type Operator = '+' | '-' | '*' | '/';
const operators: Operator[] = ['+', '-', '*', '/'];

export interface RandomCalcItem {
  id: string;
  /** Natural-language rendering, with the rounding instruction. */
  problem: string;
  /** Plain-expression rendering (ASCII operators, every step parenthesized). */
  expression: string;
  /** The exact value rounded by ROUNDING_RULE, always with 2 decimals. */
  answer: string;
  /** The exact value as a reduced fraction `p/q` (or an integer). */
  answer_exact: string;
  steps: number;
  rounding: string;
  seed: number;
  created_at: string;
  generator: string;
  generator_version: string;
}

const MAX_OPERAND_MAGNITUDE = 1e6;

export function validateRandomCalcOptions(o: RandomCalcOptions): void {
  const int = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new UserError(`--${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  int('n', o.n, 1, 10_000_000);
  int('seed', o.seed, 0, Number.MAX_SAFE_INTEGER);
  int('min-steps', o.minSteps, 1, 20);
  int('max-steps', o.maxSteps, 1, 20);
  if (o.minSteps > o.maxSteps) throw new UserError(`--min-steps (${o.minSteps}) must not exceed --max-steps (${o.maxSteps})`);
  int('max-decimals', o.maxDecimals, 0, 2);
  for (const [name, v] of [['min-operand', o.minOperand], ['max-operand', o.maxOperand]] as const) {
    if (!Number.isFinite(v) || Math.abs(v) > MAX_OPERAND_MAGNITUDE || Math.round(v * 100) !== v * 100) {
      throw new UserError(`--${name} must be a number with at most 2 decimals and magnitude ≤ ${MAX_OPERAND_MAGNITUDE}, got ${v}`);
    }
  }
  if (o.minOperand > o.maxOperand) throw new UserError(`--min-operand (${o.minOperand}) must not exceed --max-operand (${o.maxOperand})`);
  if (o.minOperand === 0 && o.maxOperand === 0) throw new UserError('the operand range [0, 0] leaves nothing to divide by');
  if (o.createdAt !== undefined && Number.isNaN(Date.parse(o.createdAt))) throw new UserError(`--created-at must be an ISO date/time, got '${o.createdAt}'`);
}

interface Operand {
  value: Rational;
  /** For sentences: `-3.5`. */
  text: string;
  /** For expressions, negatives parenthesized: `(-3.5)`. */
  expressionText: string;
}

/** Generates `n` items; the same options (and createdAt) give the same items. */
export function* generateRandomCalc(options: RandomCalcOptions): Generator<RandomCalcItem> {
  validateRandomCalcOptions(options);
  const createdAt = new Date(options.createdAt ?? Date.now()).toISOString();
  const rng = new Rng(options.seed);
  for (let i = 0; i < options.n; i++) {
    const steps = between(rng, options.minSteps, options.maxSteps);
    const first = drawOperand(rng, options);
    let value = first.value;
    let expression = first.expressionText;
    const sentences = [`Start with ${first.text}.`];
    for (let step = 0; step < steps; step++) {
      const { op, operand, resultFirst } = drawStep(rng, options, value);
      const left = resultFirst ? value : operand.value;
      const right = resultFirst ? operand.value : value;
      value = apply(op, left, right);
      const previous = step === 0 ? expression : `(${expression})`;
      expression = resultFirst ? `${previous} ${op} ${operand.expressionText}` : `${operand.expressionText} ${op} ${previous}`;
      sentences.push(describeStep(op, operand.text, resultFirst));
    }
    sentences.push('What is the final result? Give it rounded to 2 decimal places.');
    yield {
      id: `randomcalc/${options.seed}/${i}`,
      problem: sentences.join(' '),
      expression,
      answer: value.toFixedHalfAwayFromZero(2),
      answer_exact: value.toFraction(),
      steps,
      rounding: ROUNDING_RULE,
      seed: options.seed,
      created_at: createdAt,
      generator: RANDOMCALC_GENERATOR,
      generator_version: RANDOMCALC_VERSION,
    };
  }
}

/** Draws operator, side and operand; a step that would divide by zero is drawn again. */
function drawStep(rng: Rng, o: RandomCalcOptions, result: Rational): { op: Operator; operand: Operand; resultFirst: boolean } {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const op = operators[rng.int(operators.length)];
    const resultFirst = rng.int(2) === 0;
    const operand = drawOperand(rng, o);
    const divisor = resultFirst ? operand.value : result;
    if (op !== '/' || !divisor.isZero()) return { op, operand, resultFirst };
  }
  throw new Error('could not draw a step without division by zero in 10000 attempts');
}

function drawOperand(rng: Rng, o: RandomCalcOptions): Operand {
  const lo = Math.round(o.minOperand * 100);
  const hi = Math.round(o.maxOperand * 100);
  for (;;) {
    const places = between(rng, 0, o.maxDecimals);
    const unit = 10 ** (2 - places);
    const kLo = Math.ceil(lo / unit);
    const kHi = Math.floor(hi / unit);
    // A range narrower than one unit has no value with this few decimals; 2 decimals always fit.
    if (kLo > kHi) continue;
    const hundredths = between(rng, kLo, kHi) * unit;
    const value = new Rational(BigInt(hundredths), 100n);
    const text = value.toFixedHalfAwayFromZero(2).replace(/\.?0+$/, '');
    return { value, text, expressionText: hundredths < 0 ? `(${text})` : text };
  }
}

/** Uniform integer in [lo, hi], both included. */
function between(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

function apply(op: Operator, a: Rational, b: Rational): Rational {
  switch (op) {
    case '+':
      return a.add(b);
    case '-':
      return a.sub(b);
    case '*':
      return a.mul(b);
    case '/':
      return a.div(b);
  }
}

function describeStep(op: Operator, operand: string, resultFirst: boolean): string {
  switch (op) {
    case '+':
      return resultFirst ? `Add ${operand}.` : `Add the result to ${operand}.`;
    case '-':
      return resultFirst ? `Subtract ${operand}.` : `Subtract the result from ${operand}.`;
    case '*':
      return resultFirst ? `Multiply by ${operand}.` : `Multiply ${operand} by the result.`;
    case '/':
      return resultFirst ? `Divide by ${operand}.` : `Divide ${operand} by the result.`;
  }
}
