/**
 * Writes the small SFT files the R1 recipe uses (deterministic; rerun to regenerate):
 * - data/cold-start.jsonl: readable chains of thought in the R1 format for generated arithmetic
 *   word problems (the cold-start SFT data); the prompt is the bare problem (template none: the
 *   long r1-zero template would make every sequence ten times longer for a character model);
 * - data/general.jsonl: non-reasoning examples (answer directly, no <think>), merged with the
 *   rejection-sampled reasoning data before the second SFT, as R1 does with its writing/QA data.
 * Run from the repository root: node --import tsx examples/recipes/make-data.ts
 */
import { generateArithmetic } from '../../src/data/arithmetic.ts';
import { writeFileAtomic } from '../../src/util/atomic.ts';

const coldStart = generateArithmetic({ n: 200, seed: 101, maxOperand: 20, prefix: 'cold-start' }).map((item) => {
  const [a, op, b] = (item.meta.expression as string).split(/([+-])/);
  const check = op === '+' ? `${item.answer} - ${b} = ${a}` : `${item.answer} + ${b} = ${a}`;
  // short enough (about 70 characters) for a character model's sampling budget
  const completion = `<think>${a} ${op} ${b} = ${item.answer}. Let me check: ${check}.</think> <answer>${item.answer}</answer>`;
  return { id: item.id, prompt: item.problem, completion, answer: item.answer };
});

const WORDS = ['apple', 'river', 'stone', 'cloud', 'tiger', 'lemon', 'piano', 'candle', 'forest', 'rocket'];
const general = WORDS.flatMap((word) => [
  [`Write the word ${word} in capital letters.`, word.toUpperCase()],
  [`How many letters are in the word ${word}?`, String(word.length)],
  [`What is the first letter of ${word}?`, word[0]],
]).map(([question, answer], i) => ({ id: `general/${i}`, prompt: question, completion: `<think>${question}</think> <answer>${answer}</answer>`, answer }));

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r) + '\n').join('');
writeFileAtomic('examples/recipes/data/cold-start.jsonl', jsonl(coldStart));
writeFileAtomic('examples/recipes/data/general.jsonl', jsonl(general));
process.stderr.write(`wrote ${coldStart.length} cold-start and ${general.length} general examples\n`);
