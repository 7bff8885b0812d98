import { randomBytes } from 'node:crypto';
import {
  generatePassword,
  hashPassword,
  hashSecret,
  newSecret,
  passwordProblem,
  verifyPassword,
} from '@loadline/access';
import {
  ChangePasswordBody,
  CreateTokenBody,
  controlApi,
  type Grant,
  grantAllows,
  grantWithin,
  lifetimeMs,
  SignInBody,
  TokenSignInBody,
  UserBody,
} from '@loadline/api/http';
import type { User } from '@loadline/metadata';
import type { RouteDeps } from '../api/deps.js';
import { guarded } from '../api/errors.js';
import { dateQuery } from '../api/query.js';
import { HttpProblem, parseBody, type RequestContext, type Router } from '../http.js';
import { SESSION_COOKIE } from './gate.js';
import { requirePermission } from './principal.js';
import { changes, grantText, tokenView, userView, whoamiView } from './views.js';

/** A console session lasts at most this long, and ends sooner when left idle (the gate). */
export const SESSION_MS = 24 * 3_600_000;

function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    `Max-Age=${maxAgeS}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** Checks a password sign-in (rate-limited, audited under the name tried): the user, or 401. */
async function passwordUser(
  deps: RouteDeps,
  ctx: RequestContext,
  body: { username: string; password: string },
) {
  ctx.audit.actor = { actor: `user:${body.username}`, actorKind: 'user' };
  deps.signIns.check(body.username, ctx.source);
  const user = await deps.metadata.access.findUser(body.username);
  const ok = await verifyPassword(body.password, user?.passwordHash);
  if (!user || !ok || user.disabled) {
    deps.signIns.fail(body.username, ctx.source);
    ctx.audit.detail = {
      reason: !user ? 'unknown user' : user.disabled ? 'user disabled' : 'wrong password',
    };
    throw new HttpProblem(401, 'sign-in failed', 'wrong user name or password');
  }
  deps.signIns.succeed(body.username, ctx.source);
  await deps.metadata.access.recordSignIn(user.id);
  return user;
}

/** Starts a console session for `user`: the cookie goes out with the answer. */
export async function startSession(deps: RouteDeps, ctx: RequestContext, user: User) {
  const session = newSecret('session');
  const csrf = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_MS);
  await deps.metadata.access.createSession({
    hash: hashSecret(session),
    userId: user.id,
    csrf,
    expiresAt,
  });
  const secure = deps.secureCookies || ctx.headers['x-forwarded-proto'] === 'https';
  ctx.responseHeaders['set-cookie'] = sessionCookie(session, SESSION_MS / 1000, secure);
  return {
    kind: 'user' as const,
    userId: user.id,
    name: user.name,
    grant: { role: user.role, environments: user.environments },
    via: 'session' as const,
    tokenId: null,
    csrf,
    expiresAt,
  };
}

/** Sign-in, sign-out, who am I, passwords, users, tokens and the audit log. */
export function registerAccessRoutes(router: Router, deps: RouteDeps): void {
  router.route(controlApi.authProviders, async () => ({
    body: {
      password: true,
      oidc: deps.oidc ? { name: deps.oidc.name, start: controlApi.oidcStart.path } : null,
    },
  }));

  router.route(controlApi.signIn, async (ctx) =>
    guarded(async () => {
      const user = await passwordUser(deps, ctx, parseBody(SignInBody, ctx.body));
      ctx.audit.detail = { via: 'session' };
      return { body: whoamiView(await startSession(deps, ctx, user)) };
    }),
  );

  router.route(controlApi.tokenSignIn, async (ctx) =>
    guarded(async () => {
      const body = parseBody(TokenSignInBody, ctx.body);
      const user = await passwordUser(deps, ctx, body);
      const issued = await issueToken(deps, {
        owner: user,
        grant: { role: user.role, environments: user.environments },
        name: body.name ?? 'loadline login',
        expires: body.expires,
      });
      ctx.audit.detail = { via: 'token', tokenId: issued.id };
      return { body: issued };
    }),
  );

  router.route(controlApi.whoami, async ({ principal }) => ({
    body: whoamiView(principal!),
  }));

  router.route(controlApi.signOut, async (ctx) =>
    guarded(async () => {
      if (ctx.principal?.sessionHash)
        await deps.metadata.access.deleteSession(ctx.principal.sessionHash);
      ctx.responseHeaders['set-cookie'] = sessionCookie('', 0, deps.secureCookies);
      return undefined;
    }),
  );

  router.route(controlApi.changePassword, async (ctx) =>
    guarded(async () => {
      const { current, next } = parseBody(ChangePasswordBody, ctx.body);
      const principal = ctx.principal!;
      const user = principal.userId
        ? await deps.metadata.access.findUserById(principal.userId)
        : undefined;
      if (!user || !(await verifyPassword(current, user.passwordHash))) {
        throw new HttpProblem(401, 'wrong password', 'the current password does not match');
      }
      const problem = passwordProblem(next);
      if (problem) {
        throw new HttpProblem(422, 'invalid request body', `next: ${problem}`, {
          errors: [{ field: 'next', message: problem }],
        });
      }
      await deps.metadata.access.setPassword(user.id, await hashPassword(next));
      await deps.metadata.access.deleteSessionsOf(user.id, principal.sessionHash);
      ctx.audit.target = `user:${user.name}`;
      return undefined;
    }),
  );

  router.route(controlApi.listUsers, async () =>
    guarded(async () => ({
      body: { users: (await deps.metadata.access.listUsers()).map(userView) },
    })),
  );

  router.route(controlApi.putUser, async (ctx) =>
    guarded(async () => {
      const name = ctx.params.name as string;
      const body = parseBody(UserBody, ctx.body);
      const before = await deps.metadata.access.findUser(name);
      if (body.password !== undefined) {
        const problem = passwordProblem(body.password);
        if (problem) {
          throw new HttpProblem(422, 'invalid request body', `password: ${problem}`, {
            errors: [{ field: 'password', message: problem }],
          });
        }
      } else if (!before) {
        throw new HttpProblem(422, 'invalid request body', 'password: a new user needs one', {
          errors: [{ field: 'password', message: 'a new user needs a password' }],
        });
      }
      if (before?.role === 'admin' && (body.role !== 'admin' || body.disabled)) {
        const admins = (await deps.metadata.access.listUsers()).filter(
          (u) => u.role === 'admin' && !u.disabled,
        );
        if (admins.length <= 1) {
          throw new HttpProblem(
            409,
            'last admin',
            `${name} is the only admin; make another admin first`,
          );
        }
      }
      const user = await deps.metadata.access.putUser({
        name,
        role: body.role,
        environments: body.environments,
        disabled: body.disabled,
        ...(body.password === undefined ? {} : { passwordHash: await hashPassword(body.password) }),
      });
      // A lowered role or a disabled user: their sessions end now (tokens are checked
      // against the owner's role at every use).
      if (before && (before.role !== user.role || user.disabled)) {
        await deps.metadata.access.deleteSessionsOf(user.id);
      }
      ctx.audit.target = `user:${name}`;
      ctx.audit.detail = {
        created: !before,
        changes: changes(before && summary(before), summary(user)),
        ...(body.password === undefined ? {} : { passwordSet: true }),
      };
      return { body: userView(user) };
    }),
  );

  router.route(controlApi.listTokens, async ({ principal }) =>
    guarded(async () => {
      const all = grantAllows(principal!.grant, 'token.admin');
      const tokens = await deps.metadata.access.listTokens(
        all ? undefined : (principal!.userId ?? '-'),
      );
      return { body: { tokens: tokens.map(tokenView) } };
    }),
  );

  router.route(controlApi.createToken, async (ctx) =>
    guarded(async () => {
      const body = parseBody(CreateTokenBody, ctx.body);
      const principal = ctx.principal!;
      const grant: Grant = {
        role: body.role,
        environments:
          body.environments ??
          (principal.grant.role === 'admin' ? ['*'] : [...principal.grant.environments]),
      };
      if (!grantWithin(grant, principal.grant)) {
        throw new HttpProblem(
          403,
          'forbidden',
          `a token cannot hold more than its maker: ${principal.name} is ${grantText(principal.grant)}, the token asks for ${grantText(grant)}`,
          { permission: body.role === 'agent' ? 'agent.admin' : 'token.admin' },
        );
      }
      const owner = principal.userId
        ? await deps.metadata.access.findUserById(principal.userId)
        : undefined;
      const issued = await issueToken(deps, {
        owner,
        grant,
        name: body.name ?? `${body.role} token`,
        expires: body.expires,
      });
      ctx.audit.target = `token:${issued.id}`;
      ctx.audit.detail = { role: grant.role, environments: issued.environments, name: issued.name };
      return { body: issued };
    }),
  );

  router.route(controlApi.revokeToken, async (ctx) =>
    guarded(async () => {
      const token = await deps.metadata.access.getToken(ctx.params.id as string);
      if (token.userId !== ctx.principal!.userId) {
        requirePermission(ctx.principal, 'token.admin');
      }
      await deps.metadata.access.revokeToken(token.id);
      ctx.audit.target = `token:${token.id}`;
      ctx.audit.detail = { name: token.name, owner: token.owner };
      return undefined;
    }),
  );

  router.route(controlApi.listAudit, async ({ query }) =>
    guarded(async () => {
      const page = await deps.metadata.access.listAudit({
        ...optional(query, 'actor'),
        ...optional(query, 'action'),
        ...(query.get('outcome') ? { outcome: query.get('outcome') as never } : {}),
        ...dateQuery(query, 'from'),
        ...dateQuery(query, 'to'),
        ...(query.get('limit') ? { limit: Number(query.get('limit')) } : {}),
        ...optional(query, 'cursor'),
      });
      return { body: page };
    }),
  );
}

const summary = (user: User) => ({
  role: user.role,
  environments: user.environments,
  disabled: user.disabled,
});

function optional(query: URLSearchParams, name: string): Record<string, string> {
  const value = query.get(name);
  return value ? { [name]: value } : {};
}

/** Makes a token: stored as its hash, shown once. */
export async function issueToken(
  deps: Pick<RouteDeps, 'metadata'>,
  input: { owner: User | undefined; grant: Grant; name: string; expires: string | null },
) {
  const token = newSecret('token');
  const row = await deps.metadata.access.createToken({
    hash: hashSecret(token),
    name: input.name,
    userId: input.owner?.id ?? null,
    role: input.grant.role,
    environments: [...input.grant.environments],
    expiresAt: input.expires === null ? null : new Date(Date.now() + lifetimeMs(input.expires)),
  });
  return {
    id: row.id,
    token,
    name: row.name,
    role: row.role,
    environments: row.environments,
    expiresAt: row.expiresAt,
  };
}

export { generatePassword };
