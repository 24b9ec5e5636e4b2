/**
 * Per-item perplexities for the perplexity-paradox audit (arXiv 2601.11061; DESIGN §5): of the
 * answer given the prompt, of the question itself, and of prompt + answer as one text. Exact
 * definitions in docs/parts/audit-probes.md.
 */
import type { Policy } from '../backends/policy.ts';
import type { BootstrapOptions } from '../eval/bootstrap.ts';
import type { Estimate } from '../eval/metrics.ts';
import type { PromptTemplate, RenderChat } from '../data/templates.ts';
import { UserError } from '../util/errors.ts';
import { meanEstimate, medianEstimate } from './stats.ts';

/** exp(−mean log-probability) of the scored tokens. */
export function perplexity(logprobs: readonly number[]): number {
  if (logprobs.length === 0) throw new RangeError('perplexity of zero tokens');
  return Math.exp(-logprobs.reduce((a, b) => a + b, 0) / logprobs.length);
}

export interface PerplexityItem {
  id: string;
  problem: string;
  /** The text scored as the answer (gold answer or worked solution). */
  answerText: string;
  leaked?: boolean;
}

export interface PerplexityOptions {
  template: PromptTemplate;
  renderChat?: RenderChat;
  /**
   * The minimal context that starts a document (the tokenizer's BOS, else its EOS text): the
   * context of the full text, and of the question when the template puts nothing before it.
   */
  documentStart: string;
  /** Items per score() call. */
  batch?: number;
  onProgress?: (done: number) => void;
}

export interface PerplexityRow {
  id: string;
  answer_ppl: number;
  prompt_ppl: number;
  full_ppl: number;
  answer_tokens: number;
  prompt_tokens: number;
  full_tokens: number;
  leaked?: boolean;
}

interface Texts {
  prompt: string;
  leadIn: string;
}

function texts(item: PerplexityItem, opts: PerplexityOptions): Texts {
  const prompt = opts.template.text(item.problem, opts.renderChat);
  const at = prompt.indexOf(item.problem);
  if (at < 0)
    throw new UserError(
      `template '${opts.template.name}' does not contain item ${item.id}'s problem verbatim`,
    );
  return { prompt, leadIn: prompt.slice(0, at) };
}

export async function itemPerplexities(
  policy: Policy,
  items: readonly PerplexityItem[],
  opts: PerplexityOptions,
): Promise<PerplexityRow[]> {
  const batch = opts.batch ?? 16;
  const rows: PerplexityRow[] = [];
  for (let start = 0; start < items.length; start += batch) {
    const chunk = items.slice(start, start + batch);
    const t = chunk.map((item) => texts(item, opts));
    const answer = await policy.score({
      prompts: t.map((x) => x.prompt),
      completions: chunk.map((x) => x.answerText),
    });
    const question = await policy.score({
      prompts: t.map((x) => x.leadIn || opts.documentStart),
      completions: chunk.map((x) => x.problem),
    });
    const full = await policy.score({
      prompts: chunk.map(() => opts.documentStart),
      completions: chunk.map((x, i) => t[i].prompt + x.answerText),
    });
    chunk.forEach((item, i) => {
      for (const [what, scored] of [
        ['answer', answer],
        ['problem', question],
      ] as const)
        if (scored.logprobs[i].length === 0)
          throw new UserError(`item ${item.id}: the ${what} text has no tokens to score`);
      const row: PerplexityRow = {
        id: item.id,
        answer_ppl: perplexity(answer.logprobs[i]),
        prompt_ppl: perplexity(question.logprobs[i]),
        full_ppl: perplexity(full.logprobs[i]),
        answer_tokens: answer.logprobs[i].length,
        prompt_tokens: question.logprobs[i].length,
        full_tokens: full.logprobs[i].length,
      };
      if (item.leaked !== undefined) row.leaked = item.leaked;
      rows.push(row);
    });
    opts.onProgress?.(rows.length);
  }
  return rows;
}

export interface Distribution {
  mean: Estimate;
  median: Estimate;
}

export interface PerplexityStats {
  n: number;
  answer_ppl: Distribution;
  prompt_ppl: Distribution;
  full_ppl: Distribution;
}

export interface PerplexitySummary extends PerplexityStats {
  /** Only when every row carries a `leaked` label. */
  by_label?: { leaked: PerplexityStats; clean: PerplexityStats };
}

function distribution(values: number[], bootstrap: BootstrapOptions): Distribution {
  return { mean: meanEstimate(values, bootstrap), median: medianEstimate(values, bootstrap) };
}

function stats(rows: readonly PerplexityRow[], bootstrap: BootstrapOptions): PerplexityStats {
  return {
    n: rows.length,
    answer_ppl: distribution(
      rows.map((r) => r.answer_ppl),
      bootstrap,
    ),
    prompt_ppl: distribution(
      rows.map((r) => r.prompt_ppl),
      bootstrap,
    ),
    full_ppl: distribution(
      rows.map((r) => r.full_ppl),
      bootstrap,
    ),
  };
}

export function summarizePerplexities(
  rows: readonly PerplexityRow[],
  bootstrap: BootstrapOptions = {},
): PerplexitySummary {
  const summary: PerplexitySummary = stats(rows, bootstrap);
  if (rows.length > 0 && rows.every((r) => r.leaked !== undefined)) {
    summary.by_label = {
      leaked: stats(
        rows.filter((r) => r.leaked),
        bootstrap,
      ),
      clean: stats(
        rows.filter((r) => !r.leaked),
        bootstrap,
      ),
    };
  }
  return summary;
}
