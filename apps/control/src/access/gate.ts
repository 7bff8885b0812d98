import type http from 'node:http';
import { hashSecret, isSecret } from '@loadline/access';
import { hostMatcher, isLoopback, parseIp } from '@loadline/api';

import { type Grant, grantWithin, Role } from '@loadline/api/http';
import type { AccessStore, TokenWithOwner } from '@loadline/metadata';
import { problemOf } from '../api/errors.js';
import type { RouterAccess } from '../http.js';
import type { Principal } from './principal.js';

export const SESSION_COOKIE = 'loadline_session';

export interface GateOptions {
  /** names and addresses the Host header may carry; empty: any (a wildcard listener) */
  hostNames: readonly string[];
  /** proxies whose X-Forwarded-For is believed (the console, on loopback by default) */
  trustedProxies: readonly string[];
  /** a session nobody used for this long ends */
  sessionIdleMs: number;
  log: (line: string) => void;
}

const TOUCH_EVERY_MS = 60_000;

/**
 * Authentication and the router's view of access: who a request comes from (an API token
 * in `Authorization: Bearer`, or a console session cookie), where it comes from, whether
 * its Host names this control, and the audit log it writes to.
 */
export class AccessGate implements RouterAccess {
  readonly #touched = new Map<string, number>();
  readonly #trusted: (url: string) => boolean;
  readonly #hostNames: ReadonlySet<string>;

  constructor(
    private readonly store: AccessStore,
    private readonly options: GateOptions,
  ) {
    this.#trusted = hostMatcher(options.trustedProxies);
    this.#hostNames = new Set(options.hostNames.map((h) => h.toLowerCase()));
  }

  log(line: string): void {
    this.options.log(line);
  }

  /** Who sent `req`; a database that does not answer is a 503 (the request cannot be judged). */
  async authenticate(req: http.IncomingMessage): Promise<Principal | undefined> {
    try {
      return await this.#authenticate(req);
    } catch (error) {
      throw problemOf(error);
    }
  }

  async #authenticate(req: http.IncomingMessage): Promise<Principal | undefined> {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(authorization.trim());
      return match ? this.#byToken(match[1] as string) : undefined;
    }
    const session = cookieOf(req.headers.cookie, SESSION_COOKIE);
    return session === undefined ? undefined : this.#bySession(session);
  }

  async #byToken(token: string): Promise<Principal | undefined> {
    if (!isSecret(token, 'token')) return undefined;
    const row = await this.store.findLiveToken(hashSecret(token));
    if (!row || row.ownerDisabled || !withinOwner(row)) return undefined;
    const now = Date.now();
    if (now - (this.#touched.get(row.id) ?? 0) > TOUCH_EVERY_MS) {
      this.#touched.set(row.id, now);
      await this.store.touchToken(row.id);
    }
    return {
      kind: 'token',
      userId: row.userId,
      name: row.owner ?? row.name,
      grant: { role: row.role, environments: row.environments },
      via: 'token',
      tokenId: row.id,
      expiresAt: row.expiresAt,
    };
  }

  async #bySession(session: string): Promise<Principal | undefined> {
    if (!isSecret(session, 'session')) return undefined;
    const hash = hashSecret(session);
    const row = await this.store.findLiveSession(hash, this.options.sessionIdleMs);
    if (!row || row.user.disabled) return undefined;
    return {
      kind: 'user',
      userId: row.user.id,
      name: row.user.name,
      grant: { role: row.user.role, environments: row.user.environments },
      via: 'session',
      tokenId: null,
      csrf: row.csrf,
      sessionHash: hash,
      expiresAt: row.expiresAt,
    };
  }

  sourceOf(req: http.IncomingMessage): string {
    const peer = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const forwarded = req.headers['x-forwarded-for'];
    if (typeof forwarded !== 'string' || !this.#trusted(`http://${bracketed(peer)}`)) return peer;
    const client = forwarded.split(',')[0]?.trim() ?? '';
    return parseIp(client) ? `${client} via ${peer}` : peer;
  }

  hostAllowed(host: string | undefined): boolean {
    if (this.#hostNames.size === 0) return true;
    if (host === undefined) return false;
    const name = host
      .toLowerCase()
      .replace(/:\d+$/, '')
      .replace(/^\[(.*)\]$/, '$1')
      .replace(/\.$/, '');
    return this.#hostNames.has(name) || isLoopback(`http://${bracketed(name)}`);
  }

  async audit(event: Parameters<RouterAccess['audit']>[0]): Promise<void> {
    try {
      await this.store.appendAudit({ ...event, ...event.actor });
    } catch (error) {
      this.options.log(`audit: could not record ${event.action}: ${(error as Error).message}`);
    }
  }
}

const bracketed = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** Whether a token still holds no more than its owner does now (roles can be lowered). */
function withinOwner(row: TokenWithOwner): boolean {
  if (row.userId === null) return true;
  const role = Role.safeParse(row.ownerRole);
  if (!role.success) return false;
  const owner: Grant = { role: role.data, environments: row.ownerEnvironments ?? [] };
  return grantWithin({ role: row.role, environments: row.environments }, owner);
}

/** A cookie's value from a Cookie header, or undefined. */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
