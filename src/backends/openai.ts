import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { Completion as ApiCompletion, CompletionCreateParamsNonStreaming } from 'openai/resources/completions';
import { UserError } from '../util/errors.ts';
import { createLimiter } from './concurrency.ts';
import type { ChatMessage, Completion, Policy, SamplingParams, ScoreRequest, TokenScores } from './policy.ts';
import { cacheKey, ResponseCache } from './response-cache.ts';
import { BackendRequestError, defaultRetryPolicy, withRetries, type RetryPolicy } from './retry.ts';

export interface OpenAIPolicyOptions {
  /** e.g. http://127.0.0.1:8000/v1 */
  baseURL: string;
  /** The served model name. */
  model: string;
  /** Default $OPENAI_API_KEY, else "EMPTY" (local servers ignore it). */
  apiKey?: string;
  /** `auto` (default): /completions, switching to /chat/completions for good when the server has no completions endpoint. */
  api?: 'auto' | 'completions' | 'chat';
  /** Most requests in flight at once; default 8. */
  concurrency?: number;
  /** Per-request timeout (each attempt); default 300 000 ms. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** JSONL response cache; without it every sample is asked. */
  cachePath?: string;
  /** Ask for token logprobs; default true. */
  logprobs?: boolean;
  /** Server-specific request fields (e.g. vLLM's `return_tokens_as_token_ids: true`), sent with every request. */
  extraBody?: Record<string, unknown>;
}

type Input = { kind: 'text'; text: string } | { kind: 'chat'; messages: ChatMessage[] };

/** What the cache stores per sample. */
interface Sample {
  text: string;
  tokenIds: number[];
  logprobs: number[] | null;
  finishReason: 'stop' | 'length';
  tokenCount?: number;
  api: 'completions' | 'chat';
}

/** The cannot-do error for a capability the server lacks. */
export class BackendCapabilityError extends UserError {
  override name = 'BackendCapabilityError';
}

/**
 * A Policy served by any OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama).
 * Each of the n samples of a prompt is its own request with seed `params.seed + sampleIndex`,
 * so a server that honours seeds gives reproducible samples and a resumed run asks only what
 * is missing from the cache. The client's own retries are off (maxRetries 0): retry.ts retries
 * with a configurable backoff and reports the attempts in its final error.
 */
export class OpenAIPolicy implements Policy {
  readonly id: string;
  private readonly client: OpenAI;
  private readonly baseURL: string;
  private readonly api: 'auto' | 'completions' | 'chat';
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly cache: ResponseCache<Sample> | null;
  private readonly inFlight = new Map<string, Promise<Sample>>();
  private completionsMissing = false;

  constructor(private readonly opts: OpenAIPolicyOptions) {
    this.baseURL = opts.baseURL.replace(/\/+$/, '');
    this.id = `openai:${this.baseURL}#${opts.model}`;
    this.api = opts.api ?? 'auto';
    this.timeoutMs = opts.timeoutMs ?? 300_000;
    this.retry = { ...defaultRetryPolicy, ...opts.retry };
    this.limit = createLimiter(opts.concurrency ?? 8);
    this.client = new OpenAI({
      baseURL: this.baseURL,
      apiKey: opts.apiKey ?? process.env.OPENAI_API_KEY ?? 'EMPTY',
      maxRetries: 0,
      timeout: this.timeoutMs,
    });
    this.cache = opts.cachePath ? new ResponseCache<Sample>(opts.cachePath) : null;
  }

  generate(prompts: string[], params: SamplingParams): Promise<Completion[]> {
    return this.sampleAll(prompts.map((text) => ({ kind: 'text', text })), params);
  }

  generateChat(conversations: ChatMessage[][], params: SamplingParams): Promise<Completion[]> {
    return this.sampleAll(conversations.map((messages) => ({ kind: 'chat', messages })), params);
  }

  /** Per-token logprobs of given texts through /completions with echo; servers without it cannot score. */
  async score(batch: ScoreRequest): Promise<TokenScores> {
    if (batch.prompts.length !== batch.completions.length) throw new RangeError('score: prompts and completions differ in length');
    const rows = await Promise.all(batch.prompts.map((prompt, i) => this.limit(() => this.scoreOne(prompt, batch.completions[i]))));
    return {
      promptTokenIds: rows.map((r) => r.promptTokenIds),
      completionTokenIds: rows.map((r) => r.completionTokenIds),
      logprobs: rows.map((r) => r.logprobs),
      entropies: null,
    };
  }

  /** Closes the cache file. */
  close(): void {
    this.cache?.close();
  }

  private async sampleAll(inputs: Input[], params: SamplingParams): Promise<Completion[]> {
    if (!Number.isInteger(params.n) || params.n < 1) throw new RangeError(`n must be a positive integer, got ${params.n}`);
    const jobs: Promise<Completion>[] = [];
    inputs.forEach((input, promptIndex) => {
      for (let sampleIndex = 0; sampleIndex < params.n; sampleIndex++) {
        jobs.push(this.sample(input, params, sampleIndex).then(({ api: _api, ...s }) => ({ promptIndex, sampleIndex, ...s })));
      }
    });
    // Let every request finish (and reach the cache) before reporting the first failure.
    const settled = await Promise.allSettled(jobs);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<Completion>).value);
  }

  private sample(input: Input, params: SamplingParams, sampleIndex: number): Promise<Sample> {
    const key = cacheKey({
      backend: 'openai-compatible',
      model: this.opts.model,
      input: input.kind === 'text' ? { text: input.text } : { messages: input.messages },
      sampling: { maxNewTokens: params.maxNewTokens, temperature: params.temperature, topP: params.topP, topK: params.topK, stop: params.stop, seed: params.seed, logprobs: this.opts.logprobs ?? true, extraBody: this.opts.extraBody },
      sampleIndex,
    });
    const cached = this.cache?.get(key);
    if (cached) return Promise.resolve(cached);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const request = this.limit(() => this.request(input, params, sampleIndex))
      .then((sample) => {
        this.cache?.put(key, sample);
        return sample;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  private async request(input: Input, params: SamplingParams, sampleIndex: number): Promise<Sample> {
    if (input.kind === 'chat') return this.chat(input.messages, params, sampleIndex);
    if (this.api === 'chat' || this.completionsMissing) return this.chat([{ role: 'user', content: input.text }], params, sampleIndex);
    try {
      return await this.complete(input.text, params, sampleIndex);
    } catch (err) {
      if (this.api === 'auto' && err instanceof BackendRequestError && [404, 405, 501].includes(err.status ?? 0)) {
        this.completionsMissing = true;
        return this.chat([{ role: 'user', content: input.text }], params, sampleIndex);
      }
      throw err;
    }
  }

  private commonBody(params: SamplingParams, sampleIndex: number) {
    return {
      model: this.opts.model,
      max_tokens: params.maxNewTokens,
      temperature: params.temperature,
      top_p: params.topP,
      seed: params.seed + sampleIndex,
      n: 1,
      ...(params.stop.length > 0 ? { stop: params.stop } : {}),
      // Not in the OpenAI schema; vLLM, SGLang and llama.cpp read it.
      ...(params.topK > 0 ? { top_k: params.topK } : {}),
      ...this.opts.extraBody,
    };
  }

  private async complete(prompt: string, params: SamplingParams, sampleIndex: number): Promise<Sample> {
    const body = { ...this.commonBody(params, sampleIndex), prompt, ...(this.opts.logprobs ?? true ? { logprobs: 1 } : {}) };
    const url = `${this.baseURL}/completions`;
    const res: ApiCompletion = await withRetries(url, this.retry, this.timeoutMs, () => this.client.completions.create(body as CompletionCreateParamsNonStreaming));
    const choice = res.choices?.[0] ?? noChoice(url);
    const tokens = choice.logprobs?.tokens ?? null;
    const logprobs = numbersOrNull(choice.logprobs?.token_logprobs);
    return {
      text: choice.text ?? '',
      tokenIds: tokenIdsOf(tokens),
      logprobs,
      finishReason: choice.finish_reason === 'length' ? 'length' : 'stop',
      tokenCount: res.usage?.completion_tokens ?? tokens?.length,
      api: 'completions',
    };
  }

  private async chat(messages: ChatMessage[], params: SamplingParams, sampleIndex: number): Promise<Sample> {
    const body = { ...this.commonBody(params, sampleIndex), messages, ...(this.opts.logprobs ?? true ? { logprobs: true } : {}) };
    const url = `${this.baseURL}/chat/completions`;
    const res: ChatCompletion = await withRetries(url, this.retry, this.timeoutMs, () => this.client.chat.completions.create(body as ChatCompletionCreateParamsNonStreaming));
    const choice = res.choices?.[0] ?? noChoice(url);
    const content = choice.logprobs?.content ?? null;
    return {
      text: choice.message?.content ?? '',
      tokenIds: tokenIdsOf(content?.map((t) => t.token) ?? null),
      logprobs: numbersOrNull(content?.map((t) => t.logprob)),
      finishReason: choice.finish_reason === 'length' ? 'length' : 'stop',
      tokenCount: res.usage?.completion_tokens ?? content?.length,
      api: 'chat',
    };
  }

  private async scoreOne(prompt: string, completion: string): Promise<{ promptTokenIds: number[]; completionTokenIds: number[]; logprobs: number[] }> {
    const url = `${this.baseURL}/completions`;
    const cannot = (why: string) => new BackendCapabilityError(`${this.id} cannot score: ${why} (scoring needs ${url} with echo and logprobs)`);
    if (this.api === 'chat' || this.completionsMissing) throw cannot('the server is used through its chat endpoint');
    const text = prompt + completion;
    // max_tokens 1: some servers reject 0; the one generated token lies past the text and is dropped.
    const body = { model: this.opts.model, prompt: text, echo: true, logprobs: 1, max_tokens: 1, temperature: 0, ...this.opts.extraBody };
    let res: ApiCompletion;
    try {
      res = await withRetries(url, this.retry, this.timeoutMs, () => this.client.completions.create(body as CompletionCreateParamsNonStreaming));
    } catch (err) {
      if (err instanceof BackendRequestError && [404, 405, 501].includes(err.status ?? 0)) throw cannot(`no completions endpoint (HTTP ${err.status})`);
      throw err;
    }
    const lp = res.choices?.[0]?.logprobs;
    const offsets = lp?.text_offset;
    const values = lp?.token_logprobs;
    if (!lp || !offsets || !values || !lp.tokens || offsets.length !== values.length || !(choiceText(res) ?? '').startsWith(text)) {
      throw cannot('the server did not echo the text with per-token logprobs and offsets');
    }
    const ids = tokenIdsOf(lp.tokens);
    const out = { promptTokenIds: [] as number[], completionTokenIds: [] as number[], logprobs: [] as number[] };
    for (let j = 0; j < offsets.length; j++) {
      if (offsets[j] >= text.length) break;
      // A token that starts inside the prompt belongs to the prompt, even if it runs past it.
      if (offsets[j] < prompt.length) {
        if (ids.length) out.promptTokenIds.push(ids[j]);
      } else {
        if (ids.length) out.completionTokenIds.push(ids[j]);
        out.logprobs.push(values[j] ?? NaN);
      }
    }
    return out;
  }
}

function choiceText(res: ApiCompletion): string | undefined {
  return res.choices?.[0]?.text;
}

function noChoice(url: string): never {
  throw new BackendRequestError(url, undefined, 1, 'the response has no choices');
}

function numbersOrNull(values: ReadonlyArray<number | null> | null | undefined): number[] | null {
  if (!values || values.length === 0 || !values.every((v) => typeof v === 'number')) return null;
  return values as number[];
}

/** Token ids, when the server writes tokens as `token_id:N` (vLLM's return_tokens_as_token_ids); else empty. */
function tokenIdsOf(tokens: readonly string[] | null): number[] {
  if (!tokens || tokens.length === 0) return [];
  const ids = tokens.map((t) => /^token_id:(\d+)$/.exec(t)?.[1]);
  return ids.every((id) => id !== undefined) ? ids.map(Number) : [];
}
