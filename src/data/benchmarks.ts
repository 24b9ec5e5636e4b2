import { lastBoxedContent } from './boxed.ts';
import type { RowReader } from './fields.ts';
import type { BenchmarkItem } from './types.ts';

/** Maps one row of a known benchmark file to an item. */
export type RowMapper = (r: RowReader) => BenchmarkItem;

/** The six bundled benchmark files (data/benchmarks), read as their sources publish them. */
export const benchmarkMappers: Record<string, RowMapper> = {
  // The usual MATH-500 order; the 0-based row index is the id.
  math500: (r) => ({
    id: `math500/${r.row.index}`,
    problem: r.string('problem'),
    answer: r.string('answer'),
    subject: r.string('subject'),
    level: levelOf(r),
    meta: { solution: r.string('solution') },
  }),
  aime24: (r) => ({
    id: `aime24/${r.id('id')}`,
    problem: r.string('problem'),
    answer: r.text('answer'),
    meta: { solution: r.optionalString('solution'), url: r.optionalString('url') },
  }),
  // Answers are JSON floats (27.0) for integer problems: `answer` keeps the source text,
  // meta.answerNumber the parsed number.
  amc23: (r) => ({
    id: `amc23/${r.id('id')}`,
    problem: r.string('problem'),
    answer: r.text('answer'),
    meta: { answerNumber: r.get('answer'), url: r.optionalString('url') },
  }),
  gsm8k: (r) => {
    const solution = r.string('answer');
    return {
      id: `gsm8k/${r.id('idx')}`,
      problem: r.string('question'),
      answer: gsm8kGold(r, solution),
      meta: { solution },
    };
  },
  minerva_math: (r) => {
    const solution = r.string('solution');
    const answer = lastBoxedContent(solution) ?? r.fail(`field 'solution' has no \\boxed{...} answer`);
    return {
      id: `minerva_math/${r.id('idx')}`,
      problem: r.string('problem'),
      answer,
      subject: r.string('type'),
      meta: { solution },
    };
  },
  // final_answer is a list (one string per answer part); `answer` joins it with ", ".
  // A non-null `context` is shared problem text and goes before the question.
  olympiadbench: (r) => {
    const finalAnswer = r.stringList('final_answer');
    const context = r.optionalString('context');
    const question = r.string('question');
    const multiple = r.get('is_multiple_answer');
    if (typeof multiple !== 'boolean') r.fail(`field 'is_multiple_answer' must be true or false, got ${JSON.stringify(multiple)}`);
    return {
      id: `olympiadbench/${r.id('id')}`,
      problem: context ? `${context}\n${question}` : question,
      answer: finalAnswer.join(', '),
      subject: r.string('subfield'),
      meta: {
        finalAnswer,
        isMultipleAnswer: multiple,
        unit: r.optionalString('unit') ?? null,
        answerType: r.optionalString('answer_type') ?? null,
        solution: r.get('solution'),
      },
    };
  },
};

function levelOf(r: RowReader): number | string {
  const v = r.get('level');
  if (typeof v === 'number' || typeof v === 'string') return v;
  r.fail(`field 'level' must be a number or a string, got ${JSON.stringify(v)}`);
}

/** The integer after the last `####`, thousands separators removed. */
function gsm8kGold(r: RowReader, solution: string): string {
  const at = solution.lastIndexOf('####');
  if (at < 0) r.fail(`field 'answer' has no '#### N' final answer`);
  const gold = solution.slice(at + 4).trim().replace(/,/g, '');
  if (!/^-?\d+$/.test(gold)) r.fail(`field 'answer' ends with '#### ${solution.slice(at + 4).trim()}', not an integer`);
  return gold;
}
