/**
 * The dashboard's HTTP server (fastify): three pages (runs list, run, compare) sharing one HTML
 * shell and one script, local assets (ECharts from node_modules, the report's chart-options.js),
 * and a read-only JSON API. Nothing here opens a file for writing.
 *
 * Access: bound to a loopback address, requests must also name a loopback host (a page on another
 * site cannot reach the API through DNS rebinding). Bound elsewhere, a token is required: the
 * CLI refuses a non-loopback bind without one, and every request must carry it (`?token=` once,
 * which sets a cookie, or the cookie).
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CHART_ASSET_FILES } from '../report/html.ts';
import { RunRegistry } from './registry.ts';

export interface DashboardOptions {
  root: string;
  host: string;
  port: number;
  /** Required for a non-loopback host. */
  token?: string;
  /** A run without a final file counts as running this long after its last write (default 5 min). */
  activeMs?: number;
  /** Directory rescans happen at most this often (default 2 s). */
  rescanMs?: number;
}

export interface Dashboard {
  url: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

const TOKEN_COOKIE = 'rlvr_dashboard_token';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const ASSETS: Record<string, { file: string | URL; type: string }> = {
  'echarts.min.js': { file: CHART_ASSET_FILES.echarts, type: 'text/javascript; charset=utf-8' },
  'chart-options.js': { file: CHART_ASSET_FILES.chartOptions, type: 'text/javascript; charset=utf-8' },
  'app.js': { file: new URL('./public/app.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  'app.css': { file: new URL('./public/app.css', import.meta.url), type: 'text/css; charset=utf-8' },
};

const SHELL = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RLVR Lab dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<header class="top"><a href="/" class="brand">RLVR Lab</a><nav id="crumbs"></nav></header>
<main id="app"><p class="muted">loading…</p></main>
<script src="/assets/echarts.min.js"></script>
<script src="/assets/chart-options.js"></script>
<script src="/assets/app.js"></script>
</body>
</html>
`;

const idQuery = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 1000 } },
} as const;

const samplesQuery = {
  type: 'object',
  required: ['id', 'source'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 1000 },
    source: { type: 'string', minLength: 1, maxLength: 100 },
    cursor: { type: 'integer', minimum: -1 },
    order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
    step_min: { type: 'number' },
    step_max: { type: 'number' },
    correct: { type: 'string', enum: ['any', 'correct', 'incorrect'], default: 'any' },
    component: { type: 'string', maxLength: 200 },
    component_op: { type: 'string', enum: ['positive', 'zero'], default: 'positive' },
    finish: { type: 'string', maxLength: 50 },
    q: { type: 'string', maxLength: 500 },
    token: { type: 'string' },
  },
} as const;

interface SamplesParams {
  id: string;
  source: string;
  cursor?: number;
  order: 'asc' | 'desc';
  limit: number;
  step_min?: number;
  step_max?: number;
  correct: 'any' | 'correct' | 'incorrect';
  component?: string;
  component_op: 'positive' | 'zero';
  finish?: string;
  q?: string;
}

function sameSecret(given: unknown, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export function buildDashboardApp(opts: DashboardOptions): FastifyInstance {
  const registry = new RunRegistry(opts.root, {
    activeMs: opts.activeMs ?? 5 * 60_000,
    rescanMs: opts.rescanMs ?? 2000,
  });
  const app = Fastify({ logger: false, bodyLimit: 1024, connectionTimeout: 60_000 });
  const assetCache = new Map<string, string>();
  const loopbackOnly = isLoopback(opts.host);

  app.addHook('onRequest', async (req, reply) => {
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (loopbackOnly && !isLoopback(hostHeader))
      return reply.code(403).type('text/plain').send('the dashboard answers loopback host names only');
    if (opts.token !== undefined) {
      const given = (req.query as Record<string, unknown> | undefined)?.token;
      if (sameSecret(given, opts.token))
        reply.header(
          'set-cookie',
          `${TOKEN_COOKIE}=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`,
        );
      else if (!sameSecret(readCookie(req, TOKEN_COOKIE), opts.token))
        return reply
          .code(401)
          .type('text/plain')
          .send('a token is required: open the URL the dashboard printed (it ends in ?token=…)');
    }
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    );
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });

  const page = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').send(SHELL);
  app.get('/', page);
  app.get('/run', page);
  app.get('/compare', page);

  app.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
    const asset = ASSETS[req.params.name];
    if (!asset) return reply.code(404).send({ error: `no asset ${req.params.name}` });
    let text = assetCache.get(req.params.name);
    if (text === undefined) assetCache.set(req.params.name, (text = readFileSync(asset.file, 'utf8')));
    return reply.type(asset.type).header('cache-control', 'no-cache').send(text);
  });

  const runOr404 = (id: string, reply: FastifyReply) => {
    const run = registry.get(id);
    if (!run) void reply.code(404).send({ error: `no run '${id}' under ${opts.root}` });
    return run;
  };

  app.get('/api/runs', async () => ({ root: opts.root, runs: registry.summaries() }));

  app.get<{ Querystring: { id: string } }>(
    '/api/run',
    { schema: { querystring: idQuery } },
    async (req, reply) => {
      const run = runOr404(req.query.id, reply);
      if (!run) return reply;
      const summary = run.summary(
        Date.now(),
        registry.children(run.id).map((c) => registry.get(c)?.summary().lastWrite ?? null),
      );
      return {
        summary,
        children: registry.children(run.id).map((c) => ({ id: c, kind: registry.get(c)?.kind() ?? null })),
        ...run.detail(),
      };
    },
  );

  app.get<{ Querystring: { id: string; from?: number } }>(
    '/api/metrics',
    {
      schema: {
        querystring: {
          ...idQuery,
          properties: {
            ...idQuery.properties,
            from: { type: 'integer', minimum: 0, default: 0 },
            token: { type: 'string' },
          },
        },
      },
    },
    async (req, reply) => {
      const run = runOr404(req.query.id, reply);
      if (!run) return reply;
      const summary = run.summary();
      const hasMetrics = run.kind() === 'grpo' || run.kind() === 'sft' || run.kind() === 'train';
      return {
        summary,
        metrics: hasMetrics ? run.metrics.slice(req.query.from ?? 0) : null,
        samples: run.indexedSamples(),
      };
    },
  );

  app.get<{ Querystring: SamplesParams }>(
    '/api/samples',
    { schema: { querystring: samplesQuery } },
    async (req, reply) => {
      const q = req.query;
      const run = runOr404(q.id, reply);
      if (!run) return reply;
      const source = run.sources().find((s) => s.name === q.source);
      if (!source)
        return reply.code(404).send({ error: `run '${q.id}' has no samples source '${q.source}'` });
      const index = await run.samplesIndexAsync(source);
      return {
        source,
        ...index.page({
          cursor: q.cursor,
          order: q.order,
          limit: q.limit,
          stepMin: q.step_min,
          stepMax: q.step_max,
          text: q.q,
          filter: {
            correct: q.correct === 'any' ? undefined : q.correct === 'correct',
            component: q.component
              ? { name: q.component, positive: q.component_op === 'positive' }
              : undefined,
            finish: q.finish || undefined,
          },
        }),
      };
    },
  );

  app.get<{ Querystring: { id: string; file: string } }>(
    '/api/json',
    {
      schema: {
        querystring: {
          ...idQuery,
          required: ['id', 'file'],
          properties: {
            ...idQuery.properties,
            file: { type: 'string', maxLength: 255 },
            token: { type: 'string' },
          },
        },
      },
    },
    async (req, reply) => {
      const run = runOr404(req.query.id, reply);
      if (!run) return reply;
      // only files the directory listing offered: a name can never reach another path
      if (!run.otherJsonFiles().includes(req.query.file))
        return reply.code(404).send({ error: `run '${run.id}' has no JSON file '${req.query.file}'` });
      try {
        return { file: req.query.file, value: run.read(req.query.file) ?? null };
      } catch (err) {
        return { file: req.query.file, error: (err as Error).message };
      }
    },
  );

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no such page: ${req.url}` }));
  return app;
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const app = buildDashboardApp(opts);
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { url: `http://${host}:${port}/`, port, app, close: () => app.close() };
}
