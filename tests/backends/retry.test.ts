import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APIConnectionError, APIError } from 'openai';
import { backoffMs, defaultRetryPolicy, isRetryable, retryAfterMs } from '../../src/backends/retry.ts';

const statusError = (status: number, headers: Record<string, string> = {}) => APIError.generate(status, { message: 'x' }, undefined, new Headers(headers));

test('which failures are retried', () => {
  assert.ok(isRetryable(new APIConnectionError({ message: 'reset' })));
  for (const s of [408, 429, 500, 502, 503]) assert.ok(isRetryable(statusError(s)), String(s));
  for (const s of [400, 401, 403, 404, 422]) assert.ok(!isRetryable(statusError(s)), String(s));
  assert.ok(!isRetryable(new TypeError('bug')));
});

test('Retry-After in seconds or as an HTTP date', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(retryAfterMs(statusError(429, { 'retry-after': '3' }), now), 3000);
  assert.equal(retryAfterMs(statusError(429, { 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now), 10_000);
  assert.equal(retryAfterMs(statusError(429), now), undefined);
  assert.equal(retryAfterMs(statusError(503, { 'retry-after': 'soon' }), now), undefined);
});

test('exponential backoff with jitter in [0.5, 1] of the capped delay', () => {
  const p = { ...defaultRetryPolicy, initialDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(backoffMs(p, 0, () => 1), 100);
  assert.equal(backoffMs(p, 0, () => 0), 50);
  assert.equal(backoffMs(p, 3, () => 1), 800);
  assert.equal(backoffMs(p, 10, () => 1), 1000);
  assert.equal(backoffMs(p, 10, () => 0), 500);
});
