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
function chain(first: number, ops: ReadonlyArray<['+' | '-' | '*', number]>): { steps: string; answer: number } {
  let value = first;
  const sentences: string[] = [];
  for (const [op, y] of ops) {
    const next = op === '+' ? value + y : op === '-' ? value - y : value * y;
    sentences.push(`${value} ${op} ${y} = ${next}.`);
    value = next;
  }
  return { steps: sentences.join(' '), answer: value };
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

export const TEMPLATE_NAMES = Object.keys(TEMPLATES);

/** One problem from a template chosen uniformly. */
export function drawProblem(rng: Rng): Problem {
  return TEMPLATES[TEMPLATE_NAMES[rng.int(TEMPLATE_NAMES.length)]](rng);
}
