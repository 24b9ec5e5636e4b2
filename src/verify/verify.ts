import { compareAnswerTexts, DEFAULT_COMPARE, type CompareOptions } from './compare.ts';
import { chainedBoxes, DEFAULT_EXTRACTORS, extractAnswer, goldAnswer, stripChatTemplate, type Extractor } from './extract.ts';
import { maxDepth } from './latex.ts';
import { normalizeAnswer } from './normalize.ts';
import * as Q from './rational.ts';
import { parseAnswer } from './structure.ts';
import { unitOf } from './units.ts';

export interface VerifyOptions extends CompareOptions {
  extractors: readonly Extractor[];
}

export const DEFAULT_VERIFY: VerifyOptions = { ...DEFAULT_COMPARE, extractors: DEFAULT_EXTRACTORS };

export interface VerifyResult {
  correct: boolean;
  /** The answer found in the prediction (before normalization), null when none was found. */
  extracted: string | null;
  reason: string;
}

/** Cheap limits that keep pathological answers away from the parser and the CAS. */
export const MAX_ANSWER_CHARS = 1000;
export const MAX_ANSWER_DEPTH = 32;

function checkAnswer(s: string, who: string): string | null {
  if (s.length > MAX_ANSWER_CHARS) return `${who} answer longer than ${MAX_ANSWER_CHARS} characters`;
  if (maxDepth(s) > MAX_ANSWER_DEPTH) return `${who} answer nested deeper than ${MAX_ANSWER_DEPTH} levels`;
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(s)) return `${who} answer contains control or invalid characters`;
  return null;
}

/**
 * Is the prediction's answer equal to the reference? In-process and unbounded in time: use
 * VerifierPool for anything that may be adversarial. Never throws on bad input.
 */
export function verifyPair(gold: string, pred: string, options: Partial<VerifyOptions> = {}): VerifyResult {
  const opts = { ...DEFAULT_VERIFY, ...options };
  const extraction = extractAnswer(pred, opts.extractors);
  const extracted = extraction?.answer ?? null;
  try {
    const goldRaw = goldAnswer(gold);
    const goldProblem = checkAnswer(goldRaw, 'reference');
    if (goldProblem) return { correct: false, extracted, reason: goldProblem };
    const g = normalizeAnswer(goldRaw);
    if (g === '') return { correct: false, extracted, reason: 'empty reference answer' };
    if (extracted === null) return { correct: false, extracted, reason: `no answer found (tried ${opts.extractors.join(', ')})` };
    const predProblem = checkAnswer(extracted, 'predicted');
    if (predProblem) return { correct: false, extracted: `${extracted.slice(0, MAX_ANSWER_CHARS)}…`, reason: predProblem };
    let p = normalizeAnswer(extracted);
    if (p === '') return { correct: false, extracted, reason: 'empty predicted answer' };
    // Boxes chained by "and"/"or"/commas are one answer with several values (\boxed{2} and
    // \boxed{5}); equivalent ones (\boxed{1728} or \boxed{1728.0}) are one value.
    let several = false;
    if (extraction?.by === 'boxed') {
      const chain = chainedBoxes(stripChatTemplate(pred)).map(normalizeAnswer).filter((b) => b !== '');
      if (chain.some((b) => !compareAnswerTexts(p, b, opts).equal)) {
        p = chain.join(', ');
        several = true;
      }
    }
    // A decimal comma (2,5 or 0{,}75 for 2.5 or 0.75) where the reference is one number; groups
    // of three digits stay thousands separators and a reference list keeps the comma a separator.
    if (/^-?\d+,\d+$/.test(p) && !/^-?\d{1,3}(?:,\d{3})+$/.test(p) && parseAnswer(g).kind === 'expr') p = p.replace(',', '.');
    // Units: normalization drops them, so two stated units are compared first.
    let converted = '';
    const gu = unitOf(goldRaw);
    const pu = unitOf(several ? '' : extracted);
    if (gu && pu && gu.key !== pu.key) {
      if (gu.dim !== pu.dim) return { correct: false, extracted, reason: `different units: ${pu.key} vs ${gu.key}` };
      const ratio = Q.div(pu.factor, gu.factor);
      if (!ratio || parseAnswer(p).kind !== 'expr') return { correct: false, extracted, reason: `units ${pu.key} vs ${gu.key} not converted` };
      p = `(${p})\\cdot\\frac{${ratio.n}}{${ratio.d}}`;
      converted = ` (converted ${pu.key} to ${gu.key})`;
    }
    const verdict = compareAnswerTexts(g, p, opts);
    const reason = several && !verdict.equal ? `hedged or several boxed answers: ${verdict.reason}` : verdict.reason + converted;
    return { correct: verdict.equal, extracted: several ? p : extracted, reason };
  } catch (err) {
    // A verifier bug must cost one pair, not the batch; the reason keeps it visible.
    return { correct: false, extracted, reason: `verifier error: ${(err as Error).message ?? String(err)}` };
  }
}
