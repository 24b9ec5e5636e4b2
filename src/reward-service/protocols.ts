/**
 * The three request shapes the service answers, turned into ScoreItems and back:
 * OpenRLHF's remote reward (`/get_reward`), verl's batch reward function (`/score`) and
 * RLVR Lab's own (`/v1/rewards`). Request bodies are validated by the JSON schemas below
 * before these functions see them; list lengths are checked here.
 */
import type { ItemResult, ScoreItem } from './types.ts';

/** A request the service refuses with a 4xx status and a message naming the field. */
export class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const stringList = { type: 'array', items: { type: 'string' } } as const;
const goldValue = { type: ['string', 'number', 'null'] } as const;
const metadataValue = { type: ['object', 'null'] } as const;

export const getRewardSchema = {
  type: 'object',
  required: ['query'],
  properties: { query: stringList, prompts: stringList, labels: { type: 'array' } },
} as const;

export const scoreSchema = {
  type: 'object',
  required: ['solution_strs'],
  properties: {
    data_sources: { type: 'array', items: { type: ['string', 'null'] } },
    solution_strs: stringList,
    ground_truths: { type: 'array', items: goldValue },
    extra_infos: { type: 'array', items: metadataValue },
  },
} as const;

export const rewardsSchema = {
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['response'],
        additionalProperties: false,
        properties: {
          id: { type: ['string', 'number'] },
          prompt: { type: 'string' },
          response: { type: 'string' },
          gold: goldValue,
          metadata: metadataValue,
        },
      },
    },
  },
} as const;

function sameLength(lists: Record<string, readonly unknown[] | undefined>): number {
  const given = Object.entries(lists).filter((e): e is [string, readonly unknown[]] => e[1] !== undefined);
  const n = given[0][1].length;
  const odd = given.find(([, v]) => v.length !== n);
  if (odd) throw new RequestError(400, `list lengths differ: ${given.map(([k, v]) => `${k} has ${v.length}`).join(', ')}; every list needs one entry per item`);
  return n;
}

const goldOf = (v: unknown): string | undefined => (v === null || v === undefined || v === '' ? undefined : String(v));

/** Response-independent keys for the `random` reward, read from the caller's metadata. */
function drawKeys(meta: Record<string, unknown> | undefined): Pick<ScoreItem, 'step' | 'promptId'> {
  const promptId = meta?.prompt_id ?? meta?.index;
  return {
    ...(typeof meta?.step === 'number' ? { step: meta.step } : {}),
    ...(typeof promptId === 'string' || typeof promptId === 'number' ? { promptId } : {}),
  };
}

// ---- OpenRLHF: POST /get_reward ----

/**
 * Chat-template and end-of-sequence markers that OpenRLHF leaves in `query` (it decodes with
 * skip_special_tokens=False): <|im_end|>, <|endoftext|>, <|eot_id|>, DeepSeek's <｜end▁of▁sentence｜>,
 * </s>, Gemma's <eos>/<end_of_turn>. Tags a template asks the model to write (<think>, <answer>) stay.
 */
const SPECIAL_TOKENS = /<\|[^<>|\s]{1,64}\|>|<｜[^<>｜]{1,64}｜>|<\/?s>|<(?:eos|bos|pad|end_of_turn|start_of_turn)>/g;

const stripSpecialTokens = (text: string): string => text.replace(SPECIAL_TOKENS, '');

/** The response in an OpenRLHF query: what follows the prompt, without special tokens. */
export function responseOf(query: string, prompt: string | undefined): string {
  if (prompt && query.startsWith(prompt)) return stripSpecialTokens(query.slice(prompt.length));
  const q = stripSpecialTokens(query);
  const p = prompt === undefined ? '' : stripSpecialTokens(prompt);
  // A decode of prompt+response need not start with the prompt string byte for byte (tokenizer
  // round trips); fall back to the stripped texts, then to the whole query.
  return p !== '' && q.startsWith(p) ? q.slice(p.length) : q;
}

interface GetRewardBody {
  query: string[];
  prompts?: string[];
  labels?: unknown[];
}

/** A label is the reference answer, or a record holding it (with the rest as metadata). */
function fromLabel(label: unknown): Pick<ScoreItem, 'gold' | 'metadata'> {
  if (label !== null && typeof label === 'object' && !Array.isArray(label)) {
    const rec = label as Record<string, unknown>;
    return { gold: goldOf(rec.answer ?? rec.ground_truth ?? rec.gold), metadata: rec };
  }
  if (Array.isArray(label)) throw new RequestError(400, 'labels: a label must be a string, a number or an object with "answer", not a list');
  return { gold: goldOf(label) };
}

export function getRewardItems(body: GetRewardBody): ScoreItem[] {
  const n = sameLength({ query: body.query, prompts: body.prompts, labels: body.labels });
  return Array.from({ length: n }, (_, i) => {
    const { gold, metadata } = fromLabel(body.labels?.[i]);
    const prompt = body.prompts?.[i] ?? '';
    return { prompt, response: responseOf(body.query[i], body.prompts?.[i]), gold, metadata, ...drawKeys(metadata) };
  });
}

/**
 * `rewards` trains, `scores` feeds dynamic filtering, which expects [0, 1]: the reward clipped
 * to it. `extra_logs` holds per-sample lists (OpenRLHF logs element 0 of each).
 */
export function getRewardAnswer(results: ItemResult[], components: readonly string[]): object {
  const extra: Record<string, number[]> = {};
  for (const c of components) extra[c] = results.map((r) => r.components[c]);
  extra.correct = results.map((r) => Number(r.correct));
  extra.timeout = results.map((r) => Number(r.timeout));
  extra.error = results.map((r) => Number(r.error !== ''));
  return {
    rewards: results.map((r) => r.score),
    scores: results.map((r) => Math.min(1, Math.max(0, r.score))),
    extra_logs: extra,
  };
}

// ---- verl: POST /score ----

interface ScoreBody {
  data_sources?: Array<string | null>;
  solution_strs: string[];
  ground_truths?: Array<string | number | null>;
  extra_infos?: Array<Record<string, unknown> | null>;
}

export function scoreItems(body: ScoreBody): ScoreItem[] {
  const n = sameLength({ data_sources: body.data_sources, solution_strs: body.solution_strs, ground_truths: body.ground_truths, extra_infos: body.extra_infos });
  return Array.from({ length: n }, (_, i) => {
    const extra = body.extra_infos?.[i] ?? undefined;
    const source = body.data_sources?.[i];
    const metadata = source === undefined || source === null ? extra : { ...extra, data_source: source };
    return { prompt: '', response: body.solution_strs[i], gold: goldOf(body.ground_truths?.[i]), metadata, ...drawKeys(extra) };
  });
}

/** verl takes the extra keys from the first item and indexes every item with them: all items carry all keys. */
export function scoreAnswer(results: ItemResult[], components: readonly string[]): object {
  return {
    results: results.map((r) => ({
      score: r.score,
      ...Object.fromEntries(components.map((c) => [c, r.components[c]])),
      correct: r.correct,
      extracted: r.extracted,
      timeout: r.timeout,
      error: r.error,
    })),
  };
}

// ---- RLVR Lab: POST /v1/rewards ----

interface RewardsBody {
  items: Array<{ id?: string | number; prompt?: string; response: string; gold?: string | number | null; metadata?: Record<string, unknown> | null }>;
}

export function rewardsItems(body: RewardsBody): ScoreItem[] {
  return body.items.map((it) => {
    const metadata = it.metadata ?? undefined;
    return { prompt: it.prompt ?? '', response: it.response, gold: goldOf(it.gold), metadata, ...drawKeys(metadata) };
  });
}

export function rewardsAnswer(body: RewardsBody, results: ItemResult[]): object {
  return {
    results: results.map((r, i) => ({
      ...(body.items[i].id !== undefined ? { id: body.items[i].id } : {}),
      score: r.score,
      components: r.components,
      correct: r.correct,
      extracted: r.extracted,
      reason: r.reason,
      timeout: r.timeout,
      error: r.error,
    })),
  };
}
