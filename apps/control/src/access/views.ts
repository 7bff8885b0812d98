import { type Grant, permissionsOf, type Whoami } from '@loadline/api/http';
import type { TokenWithOwner, User } from '@loadline/metadata';
import type { Wire } from '../http.js';
import type { Principal } from './principal.js';

export function whoamiView(principal: Principal): Wire<Whoami> {
  return {
    kind: principal.kind,
    name: principal.name,
    role: principal.grant.role,
    environments: [...principal.grant.environments],
    permissions: permissionsOf(principal.grant),
    via: principal.via,
    tokenId: principal.tokenId,
    expiresAt: principal.expiresAt,
    ...(principal.csrf ? { csrfToken: principal.csrf } : {}),
  };
}

export function userView(user: User) {
  return {
    name: user.name,
    role: user.role,
    environments: user.environments,
    source: user.source,
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    lastSignInAt: user.lastSignInAt,
  };
}

export function tokenView(token: TokenWithOwner) {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    environments: token.environments,
    owner: token.owner,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
  };
}

/** A grant as audit details show it. */
export const grantText = (grant: Grant) =>
  grant.role === 'operator'
    ? `operator of ${grant.environments.join(', ') || 'nothing'}`
    : grant.role;

/** The fields of `after` that differ from `before`, each as { from, to } (audit details). */
export function changes(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of new Set([...Object.keys(before ?? {}), ...Object.keys(after)])) {
    const from = before?.[key];
    const to = after[key];
    if (JSON.stringify(from) !== JSON.stringify(to))
      out[key] = { from: from ?? null, to: to ?? null };
  }
  return out;
}
