/** OpenAI-style error bodies, the JSON body parser, and the mapping of every failure to one of them. */
import type { FastifyError } from 'fastify';
import { UserError } from '../util/errors.ts';

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

/** A short, always-serializable preview of a request value for error messages. */
export function preview(v: unknown, max = 100): string {
  if (typeof v === 'string') return JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'an object';
  return String(v);
}

/** Nesting deeper than this is refused before parsing: no request field needs more than 4 levels. */
const MAX_JSON_DEPTH = 64;

/**
 * The request body parsed as a JSON object. The depth is checked on the raw text first because
 * error reporting and validation walk values recursively, and a body of 100k `[` would exhaust
 * the stack there (JSON.parse itself copes).
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH)
        throw new ApiError(400, `request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `request body is not valid JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ApiError(400, 'request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** One failure of the JSON schema (ajv's error object, the fields used here). */
interface SchemaError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
  parentSchema?: { description?: string };
}

/** The decoded segments of a JSON pointer. */
const segments = (pointer: string) => pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));

/** `/messages/0/role` → `messages[0].role`. */
function paramOf(instancePath: string): string {
  return segments(instancePath).reduce((out, s) => (/^\d+$/.test(s) ? `${out}[${s}]` : out ? `${out}.${s}` : s), '');
}

function valueAt(body: unknown, instancePath: string): unknown {
  let v = body;
  for (const s of segments(instancePath)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/** A schema failure as a 400 naming the field: `n: must be <= 256, got 300`. */
function schemaError(errors: readonly SchemaError[], body: unknown): ApiError {
  // A union (anyOf) reports each branch's failure, then its own: the union's description says more.
  const e = [...errors].reverse().find((x) => x.keyword === 'anyOf') ?? errors[0];
  if (e.keyword === 'required') {
    const param = paramOf(`${e.instancePath}/${String(e.params.missingProperty)}`);
    return new ApiError(400, `${param}: missing`, param);
  }
  const param = paramOf(e.instancePath);
  if (!param) return new ApiError(400, 'request body must be a JSON object (Content-Type: application/json)');
  const want = e.parentSchema?.description
    ? `expected ${e.parentSchema.description}`
    : (e.message ?? 'invalid').replace(/,null$/, '');
  return new ApiError(400, `${param}: ${want}, got ${preview(valueAt(body, e.instancePath))}`, param);
}

/** Any failure while handling a request as the error to send. */
export function toApiError(err: unknown, body: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // A sampling setting the engine refuses is still the client's mistake.
  if (err instanceof UserError) return new ApiError(400, err.message);
  const fe = err as Partial<FastifyError> & { validation?: SchemaError[] };
  if (fe.validation) return schemaError(fe.validation, body);
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'the request body is not as long as its Content-Length says');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'send the request body as JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'request body must be a JSON object');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return new ApiError(fe.statusCode, fe.message ?? 'bad request');
  console.error(err);
  return new ApiError(500, `internal error: ${(err as Error).message}`);
}

export const MAX_BODY_BYTES = 16 * 1024 * 1024;
