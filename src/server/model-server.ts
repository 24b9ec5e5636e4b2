/**
 * An OpenAI-compatible HTTP server over the embedded engine: GET /v1/models, POST /v1/completions,
 * POST /v1/chat/completions. Generation goes through BatchedEmbeddedPolicy, so concurrent
 * requests share generate calls. Choice k of prompt j of a request with seed s samples exactly as
 * the embedded policy's generate(prompts, {seed: s, n}) row (j, k).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type HTTPMethods } from 'fastify';
import type { Completion, SamplingParams } from '../backends/policy.ts';
import { scoreIds } from '../model/score.ts';
import { UserError } from '../util/errors.ts';
import { allowedHosts, bearerCheck, checkBindAccess, checkHost, isLoopback } from './access.ts';
import type { BatchedEmbeddedPolicy } from './batched-policy.ts';
import { ApiError, errorBody, MAX_BODY_BYTES, parseJsonObject, toApiError } from './http.ts';
import { defaultRequestLimits, LimitChecker, maxTokenChars, type RequestLimits } from './limits.ts';
import { chatLogprobs, completionLogprobs, tokenPieces } from './logprobs.ts';
import { chatCompletionsBody, completionsBody } from './schema.ts';
import { messagesField, promptField, samplingFields } from './validate.ts';

export interface ModelServerOptions {
  policy: BatchedEmbeddedPolicy;
  /** The name in /v1/models; requests naming another model get 404. */
  modelName: string;
  /** Default 127.0.0.1. A host that is not a loopback address needs `apiKey`. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Requests must send `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  limits?: Partial<RequestLimits>;
  /** Most time a client may take to send a request's headers and body; default 30 s. */
  requestTimeoutMs?: number;
}

export interface ModelServer {
  /** e.g. http://127.0.0.1:8000/v1 */
  readonly url: string;
  readonly port: number;
  /** Requests received per endpoint path (known endpoints only). */
  readonly requests: Record<string, number>;
  /**
   * Stops accepting connections and lets requests in flight finish for up to `graceMs` (default
   * 30 s); then their generation is cancelled (they get 503) and the connections are closed.
   */
  close(graceMs?: number): Promise<void>;
}

type Body = Record<string, unknown>;

export async function startModelServer(opts: ModelServerOptions): Promise<ModelServer> {
  const { policy, modelName } = opts;
  const host = opts.host ?? '127.0.0.1';
  checkBindAccess(host, opts.apiKey);
  const loopback = isLoopback(host);
  const lm = policy.lm;
  const context = lm.config.maxPositionEmbeddings;
  const limits = new LimitChecker(context, maxTokenChars(lm.tokenizer), {
    ...defaultRequestLimits,
    ...opts.limits,
  });
  const created = Math.floor(Date.now() / 1000);
  const requests: Record<string, number> = {};
  const inFlight = new Set<AbortController>();
  let closing: Promise<void> | null = null;

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
  const usage = (promptTokens: number, completions: readonly Completion[]) => {
    const completionTokens = completions.reduce((n, c) => n + c.tokenIds.length, 0);
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
  };

  async function completions(body: Body, signal: AbortSignal): Promise<object> {
    checkModel(body);
    const { maxTokens, ignoreEos, ...sampling } = samplingFields(body, 16);
    const logprobs = (body.logprobs as number | null | undefined) ?? null;
    const echo = body.echo === true;
    const asIds = body.return_tokens_as_token_ids === true;
    const maxNewTokens = maxTokens ?? 16;
    if (maxNewTokens === 0 && !echo)
      throw new ApiError(400, 'max_tokens: must be ≥ 1 (0 only with echo)', 'max_tokens');
    const prompts = promptField(body, lm.tokenizer.vocabSize);
    limits.rows(prompts.length, sampling.n);
    limits.beforeTokenizing(prompts, sampling.n, maxNewTokens);
    const encoded = prompts.map((p) =>
      'tokens' in p
        ? { ids: p.tokens, text: lm.tokenizer.decode(p.tokens) }
        : { ids: lm.tokenizer.encode(p.text), text: p.text },
    );
    encoded.forEach((e, i) => {
      if (e.ids.length === 0) throw new ApiError(400, `prompt: prompt ${i} has no tokens`, 'prompt');
    });
    limits.afterTokenizing(
      encoded.map((e) => e.ids.length),
      sampling.n,
      maxNewTokens,
    );
    const params: SamplingParams = { ...sampling, maxNewTokens };
    const [generated, promptScores] = await Promise.all([
      maxNewTokens > 0
        ? policy.generateTokens(
            encoded.map((e) => e.ids),
            params,
            { signal, ignoreEos },
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

  async function chatCompletions(body: Body, signal: AbortSignal): Promise<object> {
    checkModel(body);
    const { maxTokens, ignoreEos, ...sampling } = samplingFields(body, null);
    const logprobs = body.logprobs === true;
    const asIds = body.return_tokens_as_token_ids === true;
    if (maxTokens === 0) throw new ApiError(400, 'max_tokens: must be ≥ 1', 'max_tokens');
    if (!lm.tokenizer.chatTemplate)
      throw new ApiError(
        400,
        `messages: the model ${modelName} has no chat template; use /v1/completions`,
        'messages',
      );
    limits.rows(1, sampling.n);
    const messages = messagesField(body);
    const text = messages.map((m) => m.content).join('');
    limits.beforeTokenizing([{ text }], sampling.n, maxTokens ?? 1, 'messages');
    const ids = lm.tokenizer.encode(policy.renderChat(messages), { addSpecialTokens: false });
    const maxNewTokens = maxTokens ?? context - ids.length;
    limits.afterTokenizing([ids.length], sampling.n, Math.max(1, maxNewTokens), 'messages');
    const generated = await policy.generateTokens(
      [ids],
      { ...sampling, maxNewTokens },
      { signal, ignoreEos },
    );
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
    data: [{ id: modelName, object: 'model', created, owned_by: 'rlvr-lab', max_model_len: context }],
  });

  const send = (reply: FastifyReply, err: ApiError) => reply.code(err.status).send(errorBody(err));
  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    // A client that sends its request slowly is cut off (408) once requestTimeout has passed, checked
    // every second (node's default check every 30 s would let it hold the connection that much longer).
    // There is no idle timeout on the socket: generating a response can take minutes without a byte sent.
    requestTimeout,
    http: {
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.min(1000, Math.max(10, requestTimeout / 4)),
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    // Types are checked as sent: no coercion ("2" is not 2), no defaults, nothing removed.
    ajv: {
      customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, verbose: true },
    },
    frameworkErrors: (err, _req, reply) => send(reply, toApiError(err, undefined)),
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, text, done) => {
    try {
      done(null, parseJsonObject(text as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // the port is known once listening, before the first request
  let hosts: ReadonlySet<string> = new Set();
  const checkKey = opts.apiKey ? bearerCheck(opts.apiKey) : null;
  app.addHook('onRequest', async (req, reply) => {
    // once closing, a keep-alive connection ends with the response it is waiting for
    reply.raw.once('close', () => closing && app.server.closeIdleConnections());
    if (loopback) checkHost(req.headers.host, hosts);
    checkKey?.(req.headers.authorization);
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.setErrorHandler((err, req, reply) => send(reply, toApiError(err, req.body)));
  const paths = ['/v1/models', '/v1/completions', '/v1/chat/completions'];
  app.setNotFoundHandler((req, reply) =>
    send(
      reply,
      new ApiError(
        404,
        `no route ${req.method} ${req.url.slice(0, 200)}; this server has ${paths.join(', ')}`,
      ),
    ),
  );

  const allMethods: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
  function route(
    path: string,
    method: 'GET' | 'POST',
    bodySchema: object | null,
    handle: (body: Body, signal: AbortSignal) => Promise<object> | object,
  ) {
    const count = async () => {
      requests[path] = (requests[path] ?? 0) + 1;
    };
    app.route({
      method,
      url: path,
      onRequest: count,
      ...(bodySchema && { schema: { body: bodySchema } }),
      handler: async (req, reply) => {
        // A client that goes away gives up its generation; shutdown after the grace period does too.
        const ac = new AbortController();
        const onClose = () => {
          if (!reply.raw.writableFinished) ac.abort(new ApiError(499, 'the client closed the connection'));
        };
        reply.raw.once('close', onClose);
        inFlight.add(ac);
        try {
          return await handle((req.body ?? {}) as Body, ac.signal);
        } finally {
          inFlight.delete(ac);
          reply.raw.off('close', onClose);
        }
      },
    });
    app.route({
      method: allMethods.filter((m) => m !== method && !(method === 'GET' && m === 'HEAD')),
      url: path,
      onRequest: count,
      handler: async (req) => {
        throw new ApiError(405, `${path} takes ${method}, not ${req.method}`);
      },
    });
  }
  route('/v1/models', 'GET', null, models);
  route('/v1/completions', 'POST', completionsBody, completions);
  route('/v1/chat/completions', 'POST', chatCompletionsBody(context), chatCompletions);

  try {
    await app.listen({ port: opts.port ?? 0, host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new UserError(`cannot listen on ${host}:${opts.port ?? 0}: ${code}`);
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  hosts = allowedHosts(port);

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/v1`,
    port,
    requests,
    close(graceMs = 30_000) {
      closing ??= (async () => {
        const shutdown = new ApiError(
          503,
          `the server is shutting down: generation was cancelled after the ${graceMs} ms grace period`,
        );
        let force: NodeJS.Timeout | undefined;
        const grace = setTimeout(() => {
          for (const ac of inFlight) ac.abort(shutdown);
          // a request still not answered (e.g. one whose body is still arriving) is cut off
          force = setTimeout(() => app.server.closeAllConnections(), 1000);
        }, graceMs);
        await app.close();
        clearTimeout(grace);
        clearTimeout(force);
      })();
      return closing;
    },
  };
}
