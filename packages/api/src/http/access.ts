import { z } from 'zod';

// Who may do what: roles, the permissions each route declares, and the grant a user or
// token holds. Control enforces these; the console reads them to offer only what a user
// may do; the OpenAPI document lists each route's permission.

/** A person's role. Each role can do everything the one before it can. */
export const Role = z.enum(['viewer', 'author', 'operator', 'admin']);
export type Role = z.infer<typeof Role>;

/** What a token may be: a person's role, or `agent` (it may only enroll load generators). */
export const TokenRole = z.enum([...Role.options, 'agent']);
export type TokenRole = z.infer<typeof TokenRole>;

/**
 * What a caller needs to be allowed to do a route's work. `public` needs no sign-in,
 * `signed-in` any principal (its own session and tokens); `leak.report` is proven by the
 * environment's shadow key, not by a principal.
 */
export const Permission = z.enum([
  'public',
  'signed-in',
  'read',
  'scenario.write',
  'corpus.write',
  'run.launch',
  'run.stop',
  'run.approve',
  'schedule.write',
  'environment.write',
  'secret.write',
  'user.admin',
  'token.admin',
  'audit.read',
  'agent.admin',
  'agent.enroll',
  'leak.report',
]);
export type Permission = z.infer<typeof Permission>;

/** Permissions held per environment: an operator of `staging` holds them for staging only. */
export const ENVIRONMENT_PERMISSIONS: ReadonlySet<Permission> = new Set([
  'run.launch',
  'run.stop',
  'run.approve',
  'schedule.write',
]);

const VIEWER: readonly Permission[] = ['signed-in', 'read'];
const AUTHOR: readonly Permission[] = [...VIEWER, 'scenario.write', 'corpus.write'];
const OPERATOR: readonly Permission[] = [
  ...AUTHOR,
  'run.launch',
  'run.stop',
  'run.approve',
  'schedule.write',
];

/** Each role's permissions (an operator's environment ones only where granted). */
export const ROLE_PERMISSIONS: Readonly<Record<TokenRole, readonly Permission[]>> = {
  viewer: VIEWER,
  author: AUTHOR,
  operator: OPERATOR,
  admin: [
    ...OPERATOR,
    'environment.write',
    'secret.write',
    'user.admin',
    'token.admin',
    'audit.read',
    'agent.admin',
  ],
  agent: ['agent.enroll'],
};

/** Environment names of a grant; `*` is every environment. */
export const GrantEnvironments = z.array(z.string().min(1).max(128)).max(200);

/** What a user or token is allowed: a role, and for an operator the environments it operates. */
export interface Grant {
  role: TokenRole;
  environments: readonly string[];
}

const RANK: Readonly<Record<TokenRole, number>> = {
  agent: -1,
  viewer: 0,
  author: 1,
  operator: 2,
  admin: 3,
};

/** Whether `grant` holds `permission` (in `environment`, for an environment permission). */
export function grantAllows(grant: Grant, permission: Permission, environment?: string): boolean {
  if (permission === 'public') return true;
  if (!ROLE_PERMISSIONS[grant.role].includes(permission)) return false;
  if (!ENVIRONMENT_PERMISSIONS.has(permission) || grant.role === 'admin') return true;
  // Asked without an environment: whether it holds the permission anywhere at all.
  if (environment === undefined) return grant.environments.length > 0;
  return grant.environments.includes('*') || grant.environments.includes(environment);
}

/** Whether `inner` asks for nothing `outer` does not have (a token made by a user). */
export function grantWithin(inner: Grant, outer: Grant): boolean {
  if (outer.role === 'admin') return true;
  if (inner.role === 'agent' || RANK[inner.role] > RANK[outer.role]) return false;
  if (inner.role !== 'operator') return true;
  if (outer.environments.includes('*')) return true;
  return inner.environments.every((e) => e !== '*' && outer.environments.includes(e));
}

/** Every permission `grant` holds somewhere, for clients that offer only what is allowed. */
export function permissionsOf(grant: Grant): Permission[] {
  return ROLE_PERMISSIONS[grant.role].filter((p) => grantAllows(grant, p));
}
