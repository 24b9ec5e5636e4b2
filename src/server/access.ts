/** Who may use the server: the bearer API key, and the Host header of loopback binds. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { UserError } from '../util/errors.ts';
import { ApiError } from './http.ts';

/** 127.0.0.0/8, ::1 (and the v4-mapped 127 addresses) and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** A server reachable from other machines must have a key. */
export function checkBindAccess(host: string, apiKey: string | undefined): void {
  if (!isLoopback(host) && !apiKey)
    throw new UserError(
      `--host ${host} is not a loopback address: anyone who can reach it could use the model; give --api-key KEY (or set RLVR_API_KEY) so that requests must send Authorization: Bearer KEY`,
    );
}

/**
 * The Host header values a loopback server answers. A web page the user opens can make the
 * browser send requests to 127.0.0.1 under its own domain name (DNS rebinding); those carry that
 * name in Host and are refused.
 */
export function allowedHosts(port: number): Set<string> {
  const names = ['localhost', '127.0.0.1', '[::1]'];
  return new Set([...names.map((n) => `${n}:${port}`), ...(port === 80 ? names : [])]);
}

export function checkHost(host: string | undefined, allowed: ReadonlySet<string>): void {
  if (host === undefined || !allowed.has(host.toLowerCase()))
    throw new ApiError(
      403,
      `Host ${host === undefined ? '(missing)' : JSON.stringify(host)} is not this server; a loopback server answers only ${[...allowed].join(', ')}`,
      null,
      'invalid_host',
    );
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A check of `Authorization: Bearer <key>` that takes the same time whatever the given key. */
export function bearerCheck(apiKey: string): (authorization: string | undefined) => void {
  const want = digest(apiKey);
  return (authorization) => {
    const given = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), want))
      throw new ApiError(
        401,
        given === undefined
          ? 'this server needs an API key: send Authorization: Bearer <key>'
          : 'wrong API key',
        null,
        'invalid_api_key',
      );
  };
}
