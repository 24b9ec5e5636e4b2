/**
 * `rlvr serve-rewards`: the reward library behind HTTP (fastify). Every scoring route converts
 * its protocol's body into items, admits them against the item and queue limits, and answers
 * once the scoring pool has a result for each. GET /health needs no token; everything else
 * does when one is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pipeline, Transform } from 'node:stream';
import { getHeapStatistics } from 'node:v8';
import Fastify, { type FastifyError, type FastifyRequest } from 'fastify';
import { UserError } from '../util/errors.ts';
import { Admission, type Ticket } from './admission.ts';
import { SERVICE_DEFAULTS } from './defaults.ts';
import { serviceMetrics } from './metrics.ts';
import { ScoringPool, type ScoringPoolOptions } from './pool.ts';
import {
  getRewardAnswer,
  getRewardItems,
  getRewardSchema,
  RequestError,
  rewardsAnswer,
  rewardsItems,
  rewardsSchema,
  scoreAnswer,
  scoreItems,
  scoreSchema,
} from './protocols.ts';
import type { ItemResult, ScoreItem } from './types.ts';

export interface RewardServiceOptions extends ScoringPoolOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Bearer token every route but /health requires; mandatory off loopback. */
  token?: string;
  maxBodyBytes?: number;
  /** Most items in one request (413 beyond). */
  maxItems?: number;
  /** Most items pending at once, counting those expected in bodies being read (429 beyond). */
  maxQueue?: number;
  /** Most request-body bytes held at once, being read, parsed or scored (429 beyond); at least maxBodyBytes. */
  maxHeldBytes?: number;
}

export interface RewardService {
  readonly url: string;
  readonly port: number;
  readonly pool: ScoringPool;
  /** Stops accepting requests, answers those in flight, then stops the workers. */
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Constant-time comparison of the Authorization header with the expected one. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export async function startRewardService(opts: RewardServiceOptions): Promise<RewardService> {
  const host = opts.host ?? SERVICE_DEFAULTS.host;
  const token = opts.token === '' ? undefined : opts.token;
  if (!isLoopback(host) && token === undefined) {
    throw new UserError(`--host ${host} exposes the service beyond this machine; give a bearer token (--token or RLVR_REWARD_TOKEN) or bind 127.0.0.1`);
  }
  const maxBodyBytes = opts.maxBodyBytes ?? SERVICE_DEFAULTS.maxBodyBytes;
  const maxItems = opts.maxItems ?? SERVICE_DEFAULTS.maxItems;
  const maxQueue = opts.maxQueue ?? SERVICE_DEFAULTS.maxQueue;
  const maxHeldBytes = opts.maxHeldBytes ?? Math.max(SERVICE_DEFAULTS.maxHeldBytes, maxBodyBytes);
  if (maxHeldBytes < maxBodyBytes) {
    throw new UserError(`--max-held-mb (${maxHeldBytes / 2 ** 20}) is below --max-body-mb (${maxBodyBytes / 2 ** 20}): a largest body could wait forever; raise it`);
  }
  const components = opts.setup.rewards.map((r) => r.name);
  const pool = new ScoringPool(opts);
  const admission = new Admission({ maxQueue, maxItems, maxHeldBytes }, () => pool.pending);
  const metrics = serviceMetrics(pool, () => admission.heldBytes);

  const app = Fastify({
    bodyLimit: maxBodyBytes,
    return503OnClosing: true,
    // Idle keep-alive connections close at shutdown; requests in flight are answered first.
    forceCloseConnections: 'idle',
    // Validate, never rewrite: no type coercion, no silently dropped fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, allowUnionTypes: true } },
  });

  // Items answered per second over the last few seconds: how soon a full queue has room again.
  let drainRate = 0;
  let lastAnswered = 0;
  const sampler = setInterval(() => {
    const answered = pool.counters.answered;
    drainRate = 0.5 * drainRate + 0.5 * (answered - lastAnswered);
    lastAnswered = answered;
  }, 1000).unref();
  const retryAfter = () => String(Math.min(60, Math.max(1, Math.ceil(pool.pending / Math.max(drainRate, 1)))));
  const tooMany = (reply: { header(k: string, v: string): unknown }, why: string) => {
    const wait = retryAfter();
    reply.header('retry-after', wait);
    return new RequestError(429, `${why}; retry after ${wait} s`);
  };
  const tickets = new WeakMap<FastifyRequest, Ticket>();

  app.addHook('onRequest', async (req) => {
    if (token === undefined || req.url === '/health') return;
    const header = req.headers.authorization;
    if (header === undefined) throw new RequestError(401, 'missing bearer token: send "Authorization: Bearer <token>"');
    if (!sameSecret(header, `Bearer ${token}`)) throw new RequestError(401, 'wrong bearer token');
  });
  // Admitted or refused before its body is read, so that a burst or a retry storm costs little.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST') return;
    const ticket = admission.admit(Number(req.headers['content-length'] ?? 0) || 0);
    if (typeof ticket === 'string') throw tooMany(reply, ticket);
    tickets.set(req, ticket);
    reply.raw.once('close', ticket.release);
  });
  // A chunked upload announces no length: its bytes count as they arrive.
  app.addHook('preParsing', async (req, _reply, payload) => {
    const ticket = tickets.get(req);
    if (ticket === undefined || req.headers['content-length'] !== undefined) return payload;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        ticket.grow(chunk.length);
        done(null, chunk);
      },
    });
    return pipeline(payload, counter, () => {});
  });
  // Answers sent while closing end their connection, so that close() does not wait out keep-alive.
  let closing = false;
  app.addHook('onSend', async (_req, reply) => {
    if (closing) void reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode ?? 500;
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body larger than ${maxBodyBytes} bytes (the service's --max-body-mb); send fewer items per request`;
    else if (err.validation) message = `invalid request: ${err.message}`;
    else if (status >= 500) message = `internal error: ${err.message}`;
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.code(status).send({ error: { message, status } });
  });

  async function admit(route: string, items: ScoreItem[], req: FastifyRequest, reply: { header(k: string, v: string): unknown }): Promise<ItemResult[]> {
    tickets.get(req)?.parsed(items.length);
    if (items.length > maxItems) throw new RequestError(413, `${items.length} items in one request, more than the service's --max-items ${maxItems}; split the batch`);
    if (items.length > 0 && pool.pending + items.length > maxQueue) throw tooMany(reply, `queue full: ${pool.pending} items pending, limit ${maxQueue}, this request adds ${items.length}`);
    metrics.items.inc({ route }, items.length);
    return items.length === 0 ? [] : pool.score(items);
  }

  app.get('/health', async () => ({
    status: 'ok',
    rewards: opts.setup.rewards.map((r) => ({ name: r.name, weight: r.weight })),
    threads: pool.threads,
    timeout_ms: pool.timeoutMs,
    pending: pool.pending,
    held_bytes: admission.heldBytes,
    heap_limit_mb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
  }));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.post('/get_reward', { schema: { body: getRewardSchema } }, async (req, reply) => {
    const items = getRewardItems(req.body as Parameters<typeof getRewardItems>[0]);
    return getRewardAnswer(await admit('/get_reward', items, req, reply), components);
  });
  app.post('/score', { schema: { body: scoreSchema } }, async (req, reply) => {
    const items = scoreItems(req.body as Parameters<typeof scoreItems>[0]);
    return scoreAnswer(await admit('/score', items, req, reply), components);
  });
  app.post('/v1/rewards', { schema: { body: rewardsSchema } }, async (req, reply) => {
    const body = req.body as Parameters<typeof rewardsItems>[0];
    return rewardsAnswer(body, await admit('/v1/rewards', rewardsItems(body), req, reply));
  });

  try {
    await pool.ready;
    await app.listen({ host, port: opts.port ?? 0 });
  } catch (err) {
    await pool.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') throw new UserError(`cannot listen on ${host}:${opts.port}: ${e.message}`);
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    pool,
    async close() {
      closing = true;
      clearInterval(sampler);
      await app.close();
      await pool.close();
    },
  };
}
