/**
 * Request fields of /v1/completions and /v1/chat/completions mapped to sampling settings. Types and
 * ranges are checked by the JSON schema (schema.ts) before these run; what is left here is what a
 * schema cannot say: defaults, combinations, unsupported options and the shape of `prompt`.
 */
import { randomInt } from 'node:crypto';
import type { ChatMessage, SamplingParams } from '../backends/policy.ts';
import { ApiError, preview } from './http.ts';

type Body = Record<string, unknown>;

const bad = (param: string, message: string) => new ApiError(400, `${param}: ${message}`, param);
const given = (v: unknown) => v !== undefined && v !== null;

/** Fields this server does not implement are refused unless they ask for the default behaviour. */
function refuseUnsupported(body: Body): void {
  if (body.stream === true) throw bad('stream', 'streaming is not supported; send stream: false');
  for (const param of ['presence_penalty', 'frequency_penalty']) {
    if (given(body[param]) && body[param] !== 0)
      throw bad(param, `only 0 is supported, got ${preview(body[param])}`);
  }
  if (given(body.repetition_penalty) && body.repetition_penalty !== 1)
    throw bad('repetition_penalty', `only 1 is supported, got ${preview(body.repetition_penalty)}`);
  if (given(body.logit_bias) && Object.keys(body.logit_bias as object).length > 0)
    throw bad('logit_bias', 'not supported; send {} or leave it out');
  if (given(body.suffix)) throw bad('suffix', 'not supported');
}

/** Sampling settings common to both endpoints; `maxTokens` is resolved by the caller (defaults differ). */
export function samplingFields(
  body: Body,
  defaultMaxTokens: number | null,
): Omit<SamplingParams, 'maxNewTokens'> & { maxTokens: number | null; ignoreEos: boolean } {
  refuseUnsupported(body);
  const field = <T>(param: string) => (given(body[param]) ? (body[param] as T) : undefined);
  const n = field<number>('n') ?? 1;
  const bestOf = field<number>('best_of');
  if (bestOf !== undefined && bestOf !== n)
    throw bad('best_of', `only best_of = n is supported, got ${bestOf} with n = ${n}`);
  const stop = field<string | string[]>('stop') ?? [];
  return {
    n,
    maxTokens: field<number>('max_tokens') ?? field<number>('max_completion_tokens') ?? defaultMaxTokens,
    temperature: field<number>('temperature') ?? 1,
    topP: field<number>('top_p') ?? 1,
    topK: Math.max(0, field<number>('top_k') ?? 0),
    seed: field<number>('seed') ?? randomInt(2 ** 31),
    stop: typeof stop === 'string' ? [stop] : stop,
    ignoreEos: field<boolean>('ignore_eos') ?? false,
  };
}

/** `prompt`: a string, a list of strings, a list of token ids, or a list of token-id lists. */
export type PromptInput = { text: string } | { tokens: number[] };

export function promptField(body: Body, vocabSize: number): PromptInput[] {
  const v = body.prompt;
  if (v === null) throw bad('prompt', 'missing; give a string or a list of strings');
  if (typeof v === 'string') return [{ text: v }];
  const isId = (t: unknown): t is number => typeof t === 'number';
  const isTokens = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every(isId);
  let prompts: PromptInput[] | null = null;
  if (Array.isArray(v) && v.length > 0) {
    if (isId(v[0])) prompts = isTokens(v) ? [{ tokens: v }] : null;
    else if (v.every((p) => typeof p === 'string')) prompts = (v as string[]).map((text) => ({ text }));
    else if (v.every(isTokens)) prompts = (v as number[][]).map((tokens) => ({ tokens }));
  }
  if (!prompts)
    throw bad('prompt', `expected a string, a non-empty list of strings, or token ids; got ${preview(v)}`);
  for (const p of prompts) {
    if ('tokens' in p) {
      const badId = p.tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= vocabSize);
      if (badId !== undefined)
        throw bad('prompt', `token id ${badId} is outside the vocabulary [0, ${vocabSize})`);
    }
  }
  return prompts;
}

/** `messages` (shape checked by the schema): content parts joined into one string. */
export function messagesField(body: Body): ChatMessage[] {
  type Message = { role: ChatMessage['role']; content: string | Array<{ text: string }> };
  return (body.messages as Message[]).map(({ role, content }) => ({
    role,
    content: typeof content === 'string' ? content : content.map((p) => p.text).join(''),
  }));
}
