/**
 * An OpenAI-compatible HTTP server over the embedded engine: GET /v1/models, POST /v1/completions,
 * POST /v1/chat/completions. Generation goes through BatchedEmbeddedPolicy, so concurrent
 * requests share generate calls. Choice k of prompt j of a request with seed s samples exactly as
 * the embedded policy's generate(prompts, {seed: s, n}) row (j, k).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Completion, SamplingParams } from '../backends/policy.ts';
import { scoreIds } from '../model/score.ts';
import { UserError } from '../util/errors.ts';
import type { BatchedEmbeddedPolicy } from './batched-policy.ts';
import { ApiError, errorBody, readJsonBody, sendJson } from './http.ts';
import { chatLogprobs, completionLogprobs, tokenPieces } from './logprobs.ts';
import {
  chatLogprobsField,
  echoField,
  logprobsField,
  messagesField,
  promptField,
  samplingFields,
} from './validate.ts';

export interface ModelServerOptions {
  policy: BatchedEmbeddedPolicy;
  /** The name in /v1/models; requests naming another model get 404. */
  modelName: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface ModelServer {
  /** e.g. http://127.0.0.1:8000/v1 */
  readonly url: string;
  readonly port: number;
  /** Requests received per endpoint path (known endpoints only). */
  readonly requests: Record<string, number>;
  /** Stops accepting connections, lets requests in flight finish (up to `graceMs`, default 30 s), then closes. */
  close(graceMs?: number): Promise<void>;
}

type Body = Record<string, unknown>;

export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const { policy, modelName } = opts;
  const lm = policy.lm;
  const created = Math.floor(Date.now() / 1000);
  const requests: Record<string, number> = {};
  let inFlight = 0;
  let closing = false;

  const checkModel = (body: Body) => {
    if (body.model !== undefined && body.model !== modelName) {
      throw new ApiError(
        404,
        `The model \`${String(body.model)}\` does not exist; this server serves \`${modelName}\`.`,
        'model',
        'model_not_found',
      );
    }
  };
  const checkContext = (promptTokens: number, maxTokens: number) => {
    const limit = lm.config.maxPositionEmbeddings;
    if (promptTokens + maxTokens > limit) {
      throw new ApiError(
        400,
        `max_tokens: this model's maximum context length is ${limit} tokens; the prompt has ${promptTokens} and max_tokens is ${maxTokens}`,
        'max_tokens',
      );
    }
  };
  const usage = (promptTokens: number, completions: readonly Completion[]) => {
    const completionTokens = completions.reduce((n, c) => n + c.tokenIds.length, 0);
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
  };

  async function completions(body: Body): Promise<object> {
    checkModel(body);
    const prompts = promptField(body, lm.tokenizer.vocabSize);
    const { maxTokens, ...sampling } = samplingFields(body, 16);
    const logprobs = logprobsField(body);
    const echo = echoField(body);
    const asIds = body.return_tokens_as_token_ids === true;
    const maxNewTokens = maxTokens ?? 16;
    if (maxNewTokens === 0 && !echo)
      throw new ApiError(400, 'max_tokens: must be ≥ 1 (0 only with echo)', 'max_tokens');
    const encoded = prompts.map((p) =>
      'tokens' in p
        ? { ids: p.tokens, text: lm.tokenizer.decode(p.tokens) }
        : { ids: lm.tokenizer.encode(p.text), text: p.text },
    );
    encoded.forEach((e, i) => {
      if (e.ids.length === 0) throw new ApiError(400, `prompt: prompt ${i} has no tokens`, 'prompt');
      checkContext(e.ids.length, maxNewTokens);
    });
    const params: SamplingParams = { ...sampling, maxNewTokens };
    const [generated, promptScores] = await Promise.all([
      maxNewTokens > 0
        ? policy.generateTokens(
            encoded.map((e) => e.ids),
            params,
          )
        : Promise.resolve([]),
      echo && logprobs !== null
        ? scoreIds(
            lm,
            encoded.map((e) => ({ promptIds: e.ids.slice(0, 1), completionIds: e.ids.slice(1) })),
          )
        : null,
    ]);
    const choices = encoded.flatMap((e, j) =>
      Array.from({ length: sampling.n }, (_, k) => {
        const c = generated[j * sampling.n + k] as Completion | undefined;
        const prefix = echo ? e.text : '';
        let lp = null;
        if (logprobs !== null) {
          const ids = [...(echo ? e.ids : []), ...(c?.tokenIds ?? [])];
          const values = [...(echo ? [null, ...promptScores!.logprobs[j]] : []), ...(c?.logprobs ?? [])];
          lp = completionLogprobs(
            [
              ...(echo ? tokenPieces(lm.tokenizer, e.ids) : []),
              ...tokenPieces(lm.tokenizer, c?.tokenIds ?? []),
            ],
            ids,
            values,
            0,
            asIds,
          );
        }
        return {
          index: j * sampling.n + k,
          text: prefix + (c?.text ?? ''),
          logprobs: lp,
          finish_reason: c?.finishReason ?? 'length',
        };
      }),
    );
    return {
      id: `cmpl-${randomUUID().replaceAll('-', '')}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: modelName,
      choices,
      usage: usage(
        encoded.reduce((n, e) => n + e.ids.length, 0),
        generated,
      ),
    };
  }

  async function chatCompletions(body: Body): Promise<object> {
    checkModel(body);
    const messages = messagesField(body);
    const { maxTokens, ...sampling } = samplingFields(body, null);
    const logprobs = chatLogprobsField(body);
    const asIds = body.return_tokens_as_token_ids === true;
    if (maxTokens === 0) throw new ApiError(400, 'max_tokens: must be ≥ 1', 'max_tokens');
    if (!lm.tokenizer.chatTemplate)
      throw new ApiError(
        400,
        `messages: the model ${modelName} has no chat template; use /v1/completions`,
        'messages',
      );
    const ids = lm.tokenizer.encode(policy.renderChat(messages), { addSpecialTokens: false });
    const maxNewTokens = maxTokens ?? lm.config.maxPositionEmbeddings - ids.length;
    checkContext(ids.length, Math.max(1, maxNewTokens));
    const generated = await policy.generateTokens([ids], { ...sampling, maxNewTokens });
    return {
      id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: modelName,
      choices: generated.map((c, k) => ({
        index: k,
        message: { role: 'assistant', content: c.text },
        logprobs: logprobs
          ? {
              content: chatLogprobs(
                tokenPieces(lm.tokenizer, c.tokenIds),
                c.tokenIds,
                c.logprobs ?? [],
                asIds,
              ),
            }
          : null,
        finish_reason: c.finishReason,
      })),
      usage: usage(ids.length, generated),
    };
  }

  const models = () => ({
    object: 'list',
    data: [
      {
        id: modelName,
        object: 'model',
        created,
        owned_by: 'rlvr-lab',
        max_model_len: lm.config.maxPositionEmbeddings,
      },
    ],
  });

  const routes: Record<string, { method: 'GET' | 'POST'; handle: (body: Body) => Promise<object> | object }> =
    {
      '/v1/models': { method: 'GET', handle: models },
      '/v1/completions': { method: 'POST', handle: completions },
      '/v1/chat/completions': { method: 'POST', handle: chatCompletions },
    };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    try {
      const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
      if (route) requests[path] = (requests[path] ?? 0) + 1;
      if (!route)
        throw new ApiError(
          404,
          `no route ${req.method} ${path}; this server has ${Object.keys(routes).join(', ')}`,
        );
      if (req.method !== route.method)
        throw new ApiError(405, `${path} takes ${route.method}, not ${req.method}`);
      const body = route.method === 'POST' ? await readJsonBody(req) : {};
      sendJson(res, 200, await route.handle(body));
    } catch (err) {
      if (err instanceof ApiError) sendJson(res, err.status, errorBody(err));
      // A sampling setting the engine refuses is still the client's mistake.
      else if (err instanceof UserError) sendJson(res, 400, errorBody(new ApiError(400, err.message)));
      else {
        console.error(err);
        sendJson(res, 500, errorBody(new ApiError(500, `internal error: ${(err as Error).message}`)));
      }
    }
  }

  const server: Server = createServer((req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (closing) server.closeIdleConnections();
    });
    if (closing) res.setHeader('connection', 'close');
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EACCES'
          ? new UserError(`cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port ?? 0}: ${err.code}`)
          : err,
      ),
    );
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    port,
    requests,
    close(graceMs = 30_000) {
      closing = true;
      return new Promise<void>((resolve) => {
        const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        if (inFlight === 0) server.closeIdleConnections();
      });
    },
  };
}
