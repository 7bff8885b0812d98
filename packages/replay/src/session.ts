import { headerValue } from './captured.js';
import type { Header } from './corpus.js';
import { Digester } from './hash.js';

/** Cookie names that usually carry a login or server session, tried when none is configured. */
export const SESSION_COOKIES = [
  'sessionid',
  'session',
  'sid',
  'jsessionid',
  'phpsessid',
  'connect.sid',
  '_session_id',
  'asp.net_sessionid',
  'laravel_session',
];

/**
 * Derives session keys. Every key built from a personal value (cookie, token, client IP) is
 * a digest: the key must group a user's requests, not let a stored corpus identify them.
 */
export class SessionKeys {
  private readonly digester = new Digester();
  private readonly cookieNames: string[];

  constructor(sessionCookie?: string) {
    this.cookieNames = sessionCookie ? [sessionCookie.toLowerCase()] : SESSION_COOKIES;
  }

  /** `cookie:<digest>` from the first session cookie present. */
  fromCookie(headers: readonly Header[]): string | undefined {
    const cookie = headerValue(headers, 'cookie');
    if (!cookie) return undefined;
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq === -1) continue;
      const name = part.slice(0, eq).trim().toLowerCase();
      const value = part.slice(eq + 1).trim();
      if (value && this.cookieNames.includes(name)) return `cookie:${this.digest(value)}`;
    }
    return undefined;
  }

  /** `auth:<digest>` from an Authorization header: one bearer token is one user. */
  fromAuthorization(headers: readonly Header[]): string | undefined {
    const auth = headerValue(headers, 'authorization');
    return auth ? `auth:${this.digest(auth)}` : undefined;
  }

  /** `client:<digest>` from the client address and user agent, as web analytics do. */
  fromClient(address: string, userAgent = ''): string {
    return `client:${this.digest(`${address}\u0000${userAgent}`)}`;
  }

  digest(value: string): string {
    return this.digester.digest(value);
  }
}
