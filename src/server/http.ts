/** JSON over node:http with OpenAI-style error bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the server refuses: status, message, and the offending request field when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** The OpenAI error body: `{"error": {"message", "type", "param", "code"}}`. */
export function errorBody(err: ApiError): object {
  const type = err.status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message: err.message, type, param: err.param, code: err.code } };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The request body parsed as a JSON object. */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new ApiError(400, `request body is not valid JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ApiError(400, 'request body must be a JSON object');
  return value as Record<string, unknown>;
}
