// What a signed-in user may do, as the pages ask it: a reason when they may not (shown as
// a disabled button's title), nothing when they may. Control decides again on every call.
import {
  ENVIRONMENT_PERMISSIONS,
  grantAllows,
  type Permission,
  type Whoami,
} from '@loadline/api/http';

/** What stands in for a reason until the session is known: nothing is offered before. */
export const CHECKING = 'checking who you are…';

/**
 * Why `whoami` may not do `permission` (in `environment`, for an environment permission):
 * "needs run.launch in staging"; undefined when they may. Without an environment, an
 * environment permission held anywhere counts (Whoami.permissions says so).
 */
export function missing(
  whoami: Whoami | undefined,
  permission: Permission,
  environment?: string,
): string | undefined {
  if (!whoami) return CHECKING;
  const perEnvironment = ENVIRONMENT_PERMISSIONS.has(permission) && environment !== undefined;
  const allowed = perEnvironment
    ? grantAllows(whoami, permission, environment)
    : whoami.permissions.includes(permission);
  if (allowed) return undefined;
  return `needs ${permission}${perEnvironment ? ` in ${environment}` : ''}`;
}
