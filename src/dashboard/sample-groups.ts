/**
 * The samples browser shows every per-sample log as groups: a prompt with its completions. One
 * line of each log is one group:
 *
 * - `train`: the trainer's samples.jsonl (step, id, prompt, gold, completions with reward,
 *   components, correct, advantage, finish_reason);
 * - `eval`: an evaluation's samples.jsonl records (one response each; the consecutive samples of
 *   one item, as the harness writes them, make one group), or its progress.jsonl
 *   (`{key, value: record}`, one sample per group: samples finish out of order) while it runs;
 * - `probe`: the contamination probe's items.jsonl (prefix → continuation vs the remainder).
 */

export type SourceKind = 'train' | 'eval' | 'eval-progress' | 'probe';

export interface Completion {
  text: string;
  reward?: number | null;
  components?: Record<string, number>;
  correct: boolean | null;
  advantage?: number | null;
  finish_reason?: string | null;
  /** Source-specific extras shown as label: value (extracted answer, ROUGE-L, …). */
  extra?: Record<string, unknown>;
}

export interface SampleGroup {
  step: number | null;
  id: string;
  /** Evaluation samples: the item id; consecutive samples of one item form one group. */
  item?: string;
  prompt: string;
  gold: string | null;
  completions: Completion[];
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

function promptText(p: unknown): string {
  if (Array.isArray(p))
    return p
      .map((m: { role?: unknown; content?: unknown }) => `[${str(m?.role)}] ${str(m?.content)}`)
      .join('\n');
  return str(p);
}

function evalGroup(r: Record<string, unknown>): SampleGroup {
  if (typeof r.response !== 'string') throw new Error('no "response" text');
  return {
    step: null,
    id: `${str(r.id)} #${str(r.sample_index)}`,
    item: str(r.id),
    prompt: promptText(r.prompt),
    gold: r.gold === undefined ? null : str(r.gold),
    completions: [
      {
        text: r.response,
        correct: bool(r.correct),
        finish_reason: typeof r.finish_reason === 'string' ? r.finish_reason : null,
        extra: {
          sample: r.sample_index ?? null,
          extracted: r.extracted ?? null,
          format_ok: r.format_ok ?? null,
          verify_reason: r.verify_reason ?? null,
          tokens: r.response_tokens ?? null,
        },
      },
    ],
  };
}

/** Samples of one item as one group (their completions in order). */
export function mergeGroups(groups: SampleGroup[]): SampleGroup {
  if (groups.length === 1) return groups[0];
  return {
    ...groups[0],
    id: groups[0].item ?? groups[0].id,
    completions: groups.flatMap((g) => g.completions),
  };
}

/** One log line as a group; throws an Error saying what is missing for a line of the wrong shape. */
export function toGroup(kind: SourceKind, value: unknown): SampleGroup {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('not a JSON object');
  const r = value as Record<string, unknown>;
  switch (kind) {
    case 'train': {
      if (!Array.isArray(r.completions)) throw new Error('no "completions" array');
      return {
        step: num(r.step),
        id: str(r.id),
        prompt: promptText(r.prompt),
        gold: r.gold === undefined ? null : str(r.gold),
        completions: r.completions.map((c: Record<string, unknown>) => ({
          text: str(c?.text),
          reward: num(c?.reward),
          components:
            typeof c?.components === 'object' && c.components !== null
              ? (c.components as Record<string, number>)
              : {},
          correct: bool(c?.correct),
          advantage: num(c?.advantage),
          finish_reason: typeof c?.finish_reason === 'string' ? c.finish_reason : null,
        })),
      };
    }
    case 'eval':
      return evalGroup(r);
    case 'eval-progress':
      if (typeof r.value !== 'object' || r.value === null) throw new Error('no "value" record');
      return evalGroup(r.value as Record<string, unknown>);
    case 'probe': {
      if (typeof r.continuation !== 'string') throw new Error('no "continuation" text');
      return {
        step: null,
        id: `${str(r.id)} @${str(r.prefix_ratio)}`,
        prompt: str(r.prefix),
        gold: str(r.remainder),
        completions: [
          {
            text: r.continuation,
            correct: bool(r.answer_correct),
            finish_reason: typeof r.finish_reason === 'string' ? r.finish_reason : null,
            extra: {
              rouge_l: r.rouge_l ?? null,
              exact_match: r.exact_match ?? null,
              extracted: r.extracted_answer ?? null,
              leaked: r.leaked ?? null,
            },
          },
        ],
      };
    }
  }
}

/** Completion-level filters: a group matches when one of its completions passes all of them. */
export interface CompletionFilter {
  correct?: boolean;
  /** A reward component that is > 0 (`positive`) or ≤ 0 (`zero`) for the completion. */
  component?: { name: string; positive: boolean };
  finish?: string;
}

export function completionMatches(c: Completion, f: CompletionFilter): boolean {
  if (f.correct !== undefined && c.correct !== f.correct) return false;
  if (f.finish !== undefined && c.finish_reason !== f.finish) return false;
  if (f.component) {
    const v = c.components?.[f.component.name];
    if (typeof v !== 'number') return false;
    if (f.component.positive !== v > 0) return false;
  }
  return true;
}

export function hasCompletionFilter(f: CompletionFilter): boolean {
  return f.correct !== undefined || f.finish !== undefined || f.component !== undefined;
}

export function textMatches(g: SampleGroup, needle: string): boolean {
  const has = (s: string | null) => s !== null && s.toLowerCase().includes(needle);
  return has(g.id) || has(g.prompt) || has(g.gold) || g.completions.some((c) => has(c.text));
}
