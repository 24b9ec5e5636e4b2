import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { UserError } from '../util/errors.ts';

export interface RetryPolicy {
  /** Attempts after the first; default 5. */
  retries: number;
  /** Backoff before retry r (0-based) is min(maxDelayMs, initialDelayMs·2^r) times a uniform jitter in [0.5, 1]. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A server's Retry-After is obeyed up to this long. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 5, initialDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/** The final failure of a request to a server: names the URL, the last status and the attempts. */
export class BackendRequestError extends UserError {
  override name = 'BackendRequestError';
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    readonly attempts: number,
    detail: string,
  ) {
    super(`request to ${url} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${status === undefined ? '' : `HTTP ${status}: `}${detail}`);
  }
}

/** Connection failures, timeouts, 408, 429 and 5xx are worth retrying; other statuses are not. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof APIConnectionError) return true;
  if (err instanceof APIError && err.status !== undefined) return err.status === 408 || err.status === 429 || err.status >= 500;
  return false;
}

/** Milliseconds the server asked us to wait (Retry-After in seconds or as an HTTP date), if it did. */
export function retryAfterMs(err: unknown, now = Date.now()): number | undefined {
  if (!(err instanceof APIError) || !(err.headers instanceof Headers)) return undefined;
  const header = err.headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** retry) * (0.5 + 0.5 * random());
}

function describe(err: unknown, timeoutMs: number): { status: number | undefined; detail: string } {
  if (err instanceof APIConnectionTimeoutError) return { status: undefined, detail: `timed out after ${timeoutMs} ms` };
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? `${err.cause.message}${err.cause.cause instanceof Error ? ` (${err.cause.cause.message})` : ''}` : '';
    return { status: undefined, detail: `connection error${cause ? `: ${cause}` : ''}` };
  }
  if (err instanceof APIError) return { status: err.status, detail: err.message.replace(/^\d+\s*/, '') || 'error' };
  return { status: undefined, detail: err instanceof Error ? err.message : String(err) };
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error occurs, or the retries are spent, then
 * throws a BackendRequestError. Errors that are not from the HTTP client (bugs) pass through as is.
 */
export async function withRetries<T>(url: string, policy: RetryPolicy, timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof APIError)) throw err;
      if (!isRetryable(err) || tries > policy.retries) {
        const { status, detail } = describe(err, timeoutMs);
        throw new BackendRequestError(url, status, tries, detail);
      }
      const asked = retryAfterMs(err);
      const delay = asked !== undefined ? Math.min(asked, policy.maxRetryAfterMs) : backoffMs(policy, tries - 1);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
