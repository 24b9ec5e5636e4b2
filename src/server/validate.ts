/** Request fields of /v1/completions and /v1/chat/completions, checked and mapped to sampling settings. */
import { randomInt } from 'node:crypto';
import type { ChatMessage, SamplingParams } from '../backends/policy.ts';
import { ApiError } from './http.ts';

type Body = Record<string, unknown>;

const bad = (param: string, message: string) => new ApiError(400, `${param}: ${message}`, param);
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

function optional<T>(body: Body, param: string, check: (v: unknown) => T): T | undefined {
  const v = body[param];
  return v === undefined || v === null ? undefined : check(v);
}

function integer(param: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw bad(
        param,
        `expected an integer${max < Number.MAX_SAFE_INTEGER ? ` in [${min}, ${max}]` : ` ≥ ${min}`}, got ${show(v)}`,
      );
    }
    return v;
  };
}

function number(param: string, ok: (n: number) => boolean, want: string) {
  return (v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))
      throw bad(param, `expected ${want}, got ${show(v)}`);
    return v;
  };
}

function boolean(param: string) {
  return (v: unknown): boolean => {
    if (typeof v !== 'boolean') throw bad(param, `expected true or false, got ${show(v)}`);
    return v;
  };
}

/** Fields this server does not implement are refused unless they ask for the default behaviour. */
function refuseUnsupported(body: Body): void {
  if (body.stream === true) throw bad('stream', 'streaming is not supported; send stream: false');
  for (const param of ['presence_penalty', 'frequency_penalty']) {
    const v = body[param];
    if (v !== undefined && v !== null && v !== 0) throw bad(param, `only 0 is supported, got ${show(v)}`);
  }
  if (
    body.repetition_penalty !== undefined &&
    body.repetition_penalty !== null &&
    body.repetition_penalty !== 1
  ) {
    throw bad('repetition_penalty', `only 1 is supported, got ${show(body.repetition_penalty)}`);
  }
  if (
    body.logit_bias !== undefined &&
    body.logit_bias !== null &&
    Object.keys(body.logit_bias as object).length > 0
  ) {
    throw bad('logit_bias', 'not supported');
  }
  if (body.suffix !== undefined && body.suffix !== null) throw bad('suffix', 'not supported');
}

/** Sampling settings common to both endpoints; `maxTokens` is resolved by the caller (defaults differ). */
export function samplingFields(
  body: Body,
  defaultMaxTokens: number | null,
): Omit<SamplingParams, 'maxNewTokens'> & { maxTokens: number | null } {
  refuseUnsupported(body);
  const n = optional(body, 'n', integer('n', 1, 256)) ?? 1;
  const bestOf = optional(body, 'best_of', integer('best_of', 1, 256));
  if (bestOf !== undefined && bestOf !== n)
    throw bad('best_of', `only best_of = n is supported, got ${bestOf} with n = ${n}`);
  const maxTokens =
    optional(body, 'max_tokens', integer('max_tokens', 0)) ??
    optional(body, 'max_completion_tokens', integer('max_completion_tokens', 1)) ??
    defaultMaxTokens;
  const temperature =
    optional(
      body,
      'temperature',
      number('temperature', (t) => t >= 0, 'a number ≥ 0'),
    ) ?? 1;
  const topP =
    optional(
      body,
      'top_p',
      number('top_p', (p) => p > 0 && p <= 1, 'a number in (0, 1]'),
    ) ?? 1;
  // vLLM's extension: -1 (its default) and 0 turn top-k off.
  const topK = optional(body, 'top_k', integer('top_k', -1)) ?? 0;
  const seed = optional(body, 'seed', integer('seed', 0)) ?? randomInt(2 ** 31);
  return { n, maxTokens, temperature, topP, topK: Math.max(0, topK), seed, stop: stopStrings(body.stop) };
}

function stopStrings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw bad('stop', `expected a string or a list of strings, got ${show(v)}`);
}

/** `prompt`: a string, a list of strings, a list of token ids, or a list of token-id lists. */
export type PromptInput = { text: string } | { tokens: number[] };

export function promptField(body: Body, vocabSize: number): PromptInput[] {
  const v = body.prompt;
  if (v === undefined || v === null) throw bad('prompt', 'missing; give a string or a list of strings');
  const isTokens = (x: unknown): x is number[] =>
    Array.isArray(x) && x.length > 0 && x.every((t) => typeof t === 'number');
  let prompts: PromptInput[];
  if (typeof v === 'string') prompts = [{ text: v }];
  else if (isTokens(v)) prompts = [{ tokens: v }];
  else if (Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string'))
    prompts = (v as string[]).map((text) => ({ text }));
  else if (Array.isArray(v) && v.length > 0 && v.every(isTokens))
    prompts = (v as number[][]).map((tokens) => ({ tokens }));
  else
    throw bad(
      'prompt',
      `expected a string, a non-empty list of strings, or token ids; got ${show(v).slice(0, 100)}`,
    );
  for (const p of prompts) {
    if ('tokens' in p) {
      const badId = p.tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= vocabSize);
      if (badId !== undefined)
        throw bad('prompt', `token id ${badId} is outside the vocabulary [0, ${vocabSize})`);
    }
  }
  return prompts;
}

export function logprobsField(body: Body): number | null {
  return optional(body, 'logprobs', integer('logprobs', 0, 20)) ?? null;
}

export function echoField(body: Body): boolean {
  return optional(body, 'echo', boolean('echo')) ?? false;
}

export function chatLogprobsField(body: Body): boolean {
  const want = optional(body, 'logprobs', boolean('logprobs')) ?? false;
  optional(body, 'top_logprobs', integer('top_logprobs', 0, 20));
  return want;
}

/** `messages`: roles system, user, assistant; content a string or a list of text parts. */
export function messagesField(body: Body): ChatMessage[] {
  const v = body.messages;
  if (!Array.isArray(v) || v.length === 0)
    throw bad('messages', `expected a non-empty list of messages, got ${show(v)}`);
  return v.map((m, i) => {
    const param = `messages[${i}]`;
    if (m === null || typeof m !== 'object') throw bad(param, `expected an object, got ${show(m)}`);
    const { role, content } = m as Record<string, unknown>;
    if (role !== 'system' && role !== 'user' && role !== 'assistant')
      throw bad(`${param}.role`, `expected system, user or assistant, got ${show(role)}`);
    if (typeof content === 'string') return { role, content };
    const parts = Array.isArray(content) ? content : null;
    if (
      parts &&
      parts.every(
        (p) =>
          p && typeof p === 'object' && (p as Body).type === 'text' && typeof (p as Body).text === 'string',
      )
    ) {
      return { role, content: parts.map((p) => (p as { text: string }).text).join('') };
    }
    throw bad(
      `${param}.content`,
      `expected a string or a list of {"type": "text", "text": ...} parts, got ${show(content).slice(0, 100)}`,
    );
  });
}
