import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  path: string;
  body: Record<string, unknown>;
  /** 1-based count of requests so far with this path and body (retries of the same request). */
  attempt: number;
}

/** What to do with a request: answer normally, or misbehave. */
export type Behaviour =
  | { kind: 'ok'; delayMs?: number }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'drop' }
  | { kind: 'stall' };

/**
 * An OpenAI-compatible server on 127.0.0.1 and an ephemeral port. Answers are a function of the
 * prompt and seed, so tests can check which request produced which completion.
 */
export async function startFakeServer(behave: (req: FakeRequest) => Behaviour = () => ({ kind: 'ok' })) {
  const attempts = new Map<string, number>();
  const log: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const path = (req.url ?? '').replace(/^\/v1/, '');
    const id = path + raw;
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    const request = { path, body, attempt };
    log.push(request);
    const b = behave(request);
    if (b.kind === 'drop') return req.socket.destroy();
    if (b.kind === 'stall') return; // the socket stays open until the client gives up or the server closes
    if (b.kind === 'status') {
      res.writeHead(b.status, { 'content-type': 'application/json', ...b.headers });
      return res.end(JSON.stringify({ error: { message: `fake ${b.status}`, type: 'fake' } }));
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    inFlight--;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer(path, body)));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    log,
    get maxInFlight() {
      return maxInFlight;
    },
    count: (path?: string) => log.filter((r) => path === undefined || r.path === path).length,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The deterministic completion text for a prompt and seed. */
export function fakeText(prompt: string, seed: unknown): string {
  return `<${prompt}|${seed}>`;
}

function answer(path: string, body: Record<string, unknown>): unknown {
  if (path === '/chat/completions') {
    const messages = body.messages as { content: string }[];
    const text = fakeText(messages.map((m) => m.content).join('/'), body.seed);
    return {
      id: 'c',
      object: 'chat.completion',
      created: 0,
      model: body.model,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text }, logprobs: { content: [...text].map((ch) => ({ token: ch, logprob: -1, bytes: null, top_logprobs: [] })) } }],
      usage: { prompt_tokens: 1, completion_tokens: text.length, total_tokens: text.length + 1 },
    };
  }
  const prompt = String(body.prompt);
  if (body.echo) {
    // One token per character of the prompt, then one generated token; logprob of char i is −(i+1)/10.
    const chars = [...prompt, '!'];
    return {
      id: 'e',
      object: 'text_completion',
      created: 0,
      model: body.model,
      choices: [
        {
          index: 0,
          text: prompt + '!',
          finish_reason: 'length',
          logprobs: { tokens: chars.map((_, i) => `token_id:${100 + i}`), token_logprobs: chars.map((_, i) => (i === 0 ? null : -(i + 1) / 10)), text_offset: chars.map((_, i) => i), top_logprobs: null },
        },
      ],
    };
  }
  const text = fakeText(prompt, body.seed);
  const capped = typeof body.max_tokens === 'number' && body.max_tokens < text.length;
  const out = capped ? text.slice(0, body.max_tokens as number) : text;
  return {
    id: 'x',
    object: 'text_completion',
    created: 0,
    model: body.model,
    choices: [{ index: 0, text: out, finish_reason: capped ? 'length' : 'stop', logprobs: { tokens: [...out], token_logprobs: [...out].map(() => -0.5), text_offset: [...out].map((_, i) => i), top_logprobs: null } }],
    usage: { prompt_tokens: 1, completion_tokens: out.length, total_tokens: out.length + 1 },
  };
}
