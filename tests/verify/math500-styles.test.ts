import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { evalExact } from '../../src/verify/evaluate.ts';
import { EXTRACTION_PRESETS } from '../../src/verify/extract.ts';
import { parseExpression } from '../../src/verify/parse.ts';
import * as Q from '../../src/verify/rational.ts';
import { verifyPair } from '../../src/verify/verify.ts';

const answers = readFileSync(new URL('../../data/benchmarks/math500.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => String((JSON.parse(l) as { answer: string }).answer));

/** \dfrac everywhere, boxed inside a sentence. */
const dfracStyle = (a: string) => `The final answer is $\\boxed{${a.replace(/\\[dt]?frac/g, '\\dfrac')}}$. I hope it is correct.`;

/** LaTeX shorthand: single-token macro arguments lose their braces (\frac65, \frac1{12}, \sqrt2), as the last math span of prose. */
function shorthandStyle(a: string): string {
  const short = a
    .replace(/\\([dt]?frac)\{(\w)\}\{(\w)\}/g, '\\$1$2$3')
    .replace(/\\([dt]?frac)\{(\w)\}(?=\{)/g, '\\$1$2')
    .replace(/\\([dt]?frac)(\{[^{}]+\})\{(\w)\}/g, '\\$1$2$3')
    .replace(/\\sqrt\{(\w)\}/g, '\\sqrt$1');
  return `Putting everything together, we get $${short}$.`;
}

/** The exact decimal when the answer is a number with a finite decimal form, else display math with spacing. */
function decimalStyle(a: string): string {
  try {
    const v = evalExact(parseExpression(a.replace(/\\[dt]frac/g, '\\frac')));
    if (v && Q.isZero(v.im) && Q.finiteDecimal(v.re)) {
      let digits = 0;
      while (Q.roundToPlaces(v.re, digits) * 10n ** BigInt(20 - digits) !== Q.roundToPlaces(v.re, 20)) digits++;
      const scaled = Q.roundToPlaces(v.re, digits);
      const sign = scaled < 0n ? '-' : '';
      const abs = (scaled < 0n ? -scaled : scaled).toString().padStart(digits + 1, '0');
      const text = digits === 0 ? `${abs}.0` : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
      return `Answer: ${sign}${text}`;
    }
  } catch {
    // not a plain number: display style below
  }
  return `Hence\n\\[ \\displaystyle ${a.replace(/,(?!\\!)/g, ',\\, ')} \\]`;
}

/** A near miss: the last number moved by one, or a sign flipped, or a different word. */
function perturb(a: string): string {
  const nums = [...a.matchAll(/\d+/g)];
  if (nums.length > 0) {
    const m = nums[nums.length - 1];
    return a.slice(0, m.index) + String(BigInt(m[0]) + 1n) + a.slice(m.index! + m[0].length);
  }
  if (a.includes('-')) return a.replace('-', '+');
  if (a.includes('+')) return a.replace('+', '-');
  const text = /^\\text\{(.*)\}$/.exec(a);
  if (text) return `\\text{not ${text[1]}}`;
  return `2${a}`;
}

const STYLES = { dfrac: dfracStyle, shorthand: shorthandStyle, decimalOrDisplay: decimalStyle };

test('MATH-500: every answer in three equivalent LaTeX styles verifies equal to the reference', () => {
  assert.equal(answers.length, 500);
  const failures: string[] = [];
  for (const [name, style] of Object.entries(STYLES)) {
    answers.forEach((a, i) => {
      const pred = style(a);
      const v = verifyPair(a, pred, { extractors: EXTRACTION_PRESETS.cli });
      if (!v.correct) failures.push(`${name} #${i}: ${JSON.stringify(a)} vs ${JSON.stringify(pred)} (extracted ${JSON.stringify(v.extracted)}): ${v.reason}`);
    });
  }
  assert.deepEqual(failures, [], `${failures.length} of ${3 * answers.length} failed:\n${failures.join('\n')}`);
});

test('MATH-500: the same answers perturbed verify unequal in every style', () => {
  const failures: string[] = [];
  for (const [name, style] of Object.entries(STYLES)) {
    answers.forEach((a, i) => {
      const wrong = perturb(a);
      const v = verifyPair(a, style(wrong), { extractors: EXTRACTION_PRESETS.cli });
      if (v.correct) failures.push(`${name} #${i}: ${JSON.stringify(a)} accepted ${JSON.stringify(wrong)}: ${v.reason}`);
    });
  }
  assert.deepEqual(failures, [], `${failures.length} near misses accepted:\n${failures.join('\n')}`);
});
