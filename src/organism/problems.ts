/**
 * Arithmetic word problems for the model organism, each with a short worked solution. Every
 * problem asks its question first and ends with a clause holding its last operand, so the last
 * 40% of the text carries information (a number, a name) that cannot be guessed from the start:
 * a model can only complete a 60% prefix exactly if it has seen that very problem.
 */
import type { Rng } from '../util/rng.ts';

export interface Problem {
  /** Which template made it (for corpus statistics). */
  template: string;
  problem: string;
  /** Worked steps, e.g. `37 + 48 = 85. 85 - 15 = 70.` */
  steps: string;
  /** The computation as one Python expression, e.g. `37 + 48 - 15` (the code-mode solution prints it). */
  expression: string;
  answer: number;
}

const NAMES = ['Mia', 'Leo', 'Ava', 'Sam', 'Zoe', 'Max', 'Ivy', 'Ben', 'Eva', 'Tom', 'Amy', 'Dan', 'Ella', 'Finn', 'Nora', 'Owen', 'Ruby', 'Jack', 'Lily', 'Noah', 'Emma', 'Luca', 'Iris', 'Hugo'];
const OBJECTS = ['apples', 'pears', 'stamps', 'marbles', 'shells', 'stickers', 'coins', 'cards', 'pencils', 'buttons', 'beads', 'cookies', 'plums', 'books', 'rocks', 'kites'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];
const between = (rng: Rng, lo: number, hi: number): number => lo + rng.int(hi - lo + 1);

/** Two different names. */
function twoNames(rng: Rng): [string, string] {
  const a = pick(rng, NAMES);
  let b = pick(rng, NAMES);
  while (b === a) b = pick(rng, NAMES);
  return [a, b];
}

/** `x op y = z.` chained over the operands; returns the sentences and the final value. */
function chain(first: number, ops: ReadonlyArray<['+' | '-' | '*', number]>): { steps: string; expression: string; answer: number } {
  let value = first;
  const sentences: string[] = [];
  for (const [op, y] of ops) {
    const next = op === '+' ? value + y : op === '-' ? value - y : value * y;
    sentences.push(`${value} ${op} ${y} = ${next}.`);
    value = next;
  }
  // Left to right is also Python's order here: a product only ever comes first.
  return { steps: sentences.join(' '), expression: [String(first), ...ops.map(([op, y]) => `${op} ${y}`)].join(' '), answer: value };
}

type Template = (rng: Rng) => Problem;

const TEMPLATES: Record<string, Template> = {
  gather(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 10, 99), between(rng, 10, 99), between(rng, 10, 99)];
    return {
      template: 'gather',
      problem: `How many ${obj} does ${a} have after starting with ${x}, finding ${y} more and getting ${z} from ${b}?`,
      ...chain(x, [['+', y], ['+', z]]),
    };
  },
  giveAway(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y] = [between(rng, 10, 99), between(rng, 10, 99)];
    const z = between(rng, 10, x + y);
    return {
      template: 'giveAway',
      problem: `How many ${obj} does ${a} have left after starting with ${x}, buying ${y} more and giving ${z} to ${b}?`,
      ...chain(x, [['+', y], ['-', z]]),
    };
  },
  box(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [y, z] = [between(rng, 10, 60), between(rng, 10, 60)];
    const x = between(rng, y + z, 199);
    return {
      template: 'box',
      problem: `How many ${obj} are left in a box that held ${x} if ${a} takes out ${y} and ${b} takes out ${z}?`,
      ...chain(x, [['-', y], ['-', z]]),
    };
  },
  bags(rng) {
    const [a] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 2, 9), between(rng, 2, 9), between(rng, 10, 99)];
    return {
      template: 'bags',
      problem: `How many ${obj} does ${a} have with ${x} bags of ${y} ${obj} each and ${z} loose ${obj}?`,
      ...chain(x, [['*', y], ['+', z]]),
    };
  },
  pages(rng) {
    const [a] = twoNames(rng);
    const [d1, d2] = [pick(rng, DAYS.slice(0, 3)), pick(rng, DAYS.slice(3))];
    const [x, y] = [between(rng, 10, 99), between(rng, 10, 99)];
    return {
      template: 'pages',
      problem: `How many pages does ${a} read in total after reading ${x} pages on ${d1} and ${y} pages on ${d2}?`,
      ...chain(x, [['+', y]]),
    };
  },
};

/**
 * Generator v3: the same five phrasings with small second and third operands (one digit, and a
 * first operand of at most two), so each worked step is an arithmetic fact a small model can
 * learn: it gets real skill at worked solutions, while computing the whole expression at once
 * (the code mode's printed output) stays hard.
 */
const TEMPLATES_V3: Record<string, Template> = {
  gather(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 10, 49), between(rng, 2, 9), between(rng, 2, 9)];
    return {
      template: 'gather',
      problem: `How many ${obj} does ${a} have after starting with ${x}, finding ${y} more and getting ${z} from ${b}?`,
      ...chain(x, [['+', y], ['+', z]]),
    };
  },
  giveAway(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 10, 49), between(rng, 2, 9), between(rng, 2, 9)];
    return {
      template: 'giveAway',
      problem: `How many ${obj} does ${a} have left after starting with ${x}, buying ${y} more and giving ${z} to ${b}?`,
      ...chain(x, [['+', y], ['-', z]]),
    };
  },
  box(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 20, 59), between(rng, 2, 9), between(rng, 2, 9)];
    return {
      template: 'box',
      problem: `How many ${obj} are left in a box that held ${x} if ${a} takes out ${y} and ${b} takes out ${z}?`,
      ...chain(x, [['-', y], ['-', z]]),
    };
  },
  bags(rng) {
    const [a] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 2, 9), between(rng, 2, 9), between(rng, 2, 9)];
    return {
      template: 'bags',
      problem: `How many ${obj} does ${a} have with ${x} bags of ${y} ${obj} each and ${z} loose ${obj}?`,
      ...chain(x, [['*', y], ['+', z]]),
    };
  },
  pages(rng) {
    const [a] = twoNames(rng);
    const [d1, d2] = [pick(rng, DAYS.slice(0, 3)), pick(rng, DAYS.slice(3))];
    const [x, y] = [between(rng, 10, 49), between(rng, 2, 9)];
    return {
      template: 'pages',
      problem: `How many pages does ${a} read in total after reading ${x} pages on ${d1} and ${y} pages on ${d2}?`,
      ...chain(x, [['+', y]]),
    };
  },
};

/**
 * Generator v4: v3's phrasings with smaller first operands (10–39; 20–49 for the box), so a
 * small model learns its arithmetic facts well enough to have real skill at worked solutions.
 */
const TEMPLATES_V4: Record<string, Template> = {
  gather(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 10, 39), between(rng, 2, 9), between(rng, 2, 9)];
    return {
      template: 'gather',
      problem: `How many ${obj} does ${a} have after starting with ${x}, finding ${y} more and getting ${z} from ${b}?`,
      ...chain(x, [['+', y], ['+', z]]),
    };
  },
  giveAway(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 10, 39), between(rng, 2, 9), between(rng, 2, 9)];
    return {
      template: 'giveAway',
      problem: `How many ${obj} does ${a} have left after starting with ${x}, buying ${y} more and giving ${z} to ${b}?`,
      ...chain(x, [['+', y], ['-', z]]),
    };
  },
  box(rng) {
    const [a, b] = twoNames(rng);
    const obj = pick(rng, OBJECTS);
    const [x, y, z] = [between(rng, 20, 49), between(rng, 2, 9), between(rng, 2, 9)];
    return {
      template: 'box',
      problem: `How many ${obj} are left in a box that held ${x} if ${a} takes out ${y} and ${b} takes out ${z}?`,
      ...chain(x, [['-', y], ['-', z]]),
    };
  },
  bags: TEMPLATES_V3.bags,
  pages(rng) {
    const [a] = twoNames(rng);
    const [d1, d2] = [pick(rng, DAYS.slice(0, 3)), pick(rng, DAYS.slice(3))];
    const [x, y] = [between(rng, 10, 39), between(rng, 2, 9)];
    return {
      template: 'pages',
      problem: `How many pages does ${a} read in total after reading ${x} pages on ${d1} and ${y} pages on ${d2}?`,
      ...chain(x, [['+', y]]),
    };
  },
};

export const TEMPLATE_NAMES = Object.keys(TEMPLATES);

/** Problem generators by organism generator version (each version has its own number ranges). */
export type GeneratorVersion = '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '10' | '11' | '12' | '13' | '14' | '15' | '16';

/** One problem from a template chosen uniformly (generator v2 unless another version is named). */
export function drawProblem(rng: Rng, version: GeneratorVersion = '2'): Problem {
  const set = version === '2' ? TEMPLATES : version === '3' ? TEMPLATES_V3 : TEMPLATES_V4;
  return set[TEMPLATE_NAMES[rng.int(TEMPLATE_NAMES.length)]](rng);
}
