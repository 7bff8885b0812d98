import {
  ENVIRONMENT_PERMISSIONS,
  type Grant,
  grantAllows,
  type Permission,
} from '@loadline/api/http';
import type { AuditActorKind } from '@loadline/metadata';
import { HttpProblem } from '../problem.js';

/** Who is calling, as authentication found them. */
export interface Principal {
  kind: 'user' | 'token';
  /** the user, or the token's owner: four eyes compare these */
  userId: string | null;
  /** the user's name, or the token's owner's (or the token's name when it has none) */
  name: string;
  grant: Grant;
  via: 'session' | 'token';
  tokenId: string | null;
  /** a session's CSRF token: writes through a session must echo it */
  csrf?: string;
  /** the stored hash of the session, to end it */
  sessionHash?: string;
  expiresAt: Date | null;
}

/** An actor as the audit log names it. */
export interface Actor {
  actor: string;
  actorKind: AuditActorKind;
}

export const ANONYMOUS: Actor = { actor: 'anonymous', actorKind: 'anonymous' };
export const SYSTEM: Actor = { actor: 'system', actorKind: 'system' };

export function actorOf(principal: Principal | undefined): Actor {
  if (!principal) return ANONYMOUS;
  if (principal.kind === 'user') return { actor: `user:${principal.name}`, actorKind: 'user' };
  return { actor: `token:${principal.tokenId} (${principal.name})`, actorKind: 'token' };
}

/** Throws 403 naming the permission (and environment) unless `principal` holds it there. */
export function requirePermission(
  principal: Principal | undefined,
  permission: Permission,
  environment?: string,
): asserts principal is Principal {
  if (!principal) {
    throw new HttpProblem(
      401,
      'sign in first',
      'this needs a signed-in user or an API token',
      {},
      {
        'www-authenticate': 'Bearer realm="loadline"',
      },
    );
  }
  if (grantAllows(principal.grant, permission, environment)) return;
  const where =
    environment !== undefined && ENVIRONMENT_PERMISSIONS.has(permission)
      ? ` in environment "${environment}"`
      : '';
  throw new HttpProblem(
    403,
    'forbidden',
    `${principal.kind === 'user' ? 'user' : 'this token of'} ${principal.name} (${principal.grant.role}) lacks permission "${permission}"${where}`,
    { permission, ...(where ? { environment } : {}) },
  );
}
