import { hashSecret, newSecret } from '@loadline/access';
import { isLoopback } from '@loadline/api';
import { controlApi, Role } from '@loadline/api/http';
import { ConflictError, type MetadataStore } from '@loadline/metadata';
import type * as Oidc from 'openid-client';
import type { OidcLogin, RouteDeps } from '../api/deps.js';
import { guarded } from '../api/errors.js';
import type { RequestContext, Router } from '../http.js';
import { HttpProblem } from '../problem.js';
import { startSession } from './routes.js';

// Single sign-on over OpenID Connect (authorization code with PKCE, state and nonce), with
// the provider's groups mapped to roles. The login under way lives in Postgres, so any
// control replica can finish what another started.

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** the callback as the browser reaches it (the console's /api/control/auth/oidc/callback) */
  redirectUrl: string;
  /** `group=role` rules, e.g. `sre=operator:staging|production,platform=admin,*=viewer` */
  roles: string;
  groupsClaim: string;
}

type RoleName = 'viewer' | 'author' | 'operator' | 'admin';
interface RoleRule {
  group: string;
  role: RoleName;
  environments: string[];
}

const RANK: Record<RoleName, number> = { viewer: 0, author: 1, operator: 2, admin: 3 };

/** Parses `group=role[:env|env]` rules; throws naming the bad rule. */
export function parseRoleRules(text: string): RoleRule[] {
  return text
    .split(',')
    .map((rule) => rule.trim())
    .filter((rule) => rule !== '')
    .map((rule) => {
      const match = /^([^=]+)=(viewer|author|operator|admin)(?::([A-Za-z0-9_.*|-]+))?$/.exec(rule);
      if (!match) {
        throw new Error(
          `LOADLINE_OIDC_ROLES: "${rule}" is not group=role or group=operator:env|env (roles: viewer, author, operator, admin)`,
        );
      }
      return {
        group: match[1]!.trim(),
        role: Role.parse(match[2]),
        environments: match[3] ? match[3].split('|') : match[2] === 'operator' ? ['*'] : [],
      };
    });
}

/** The highest role the groups earn (operators: every environment their rules name). */
export function roleOfGroups(rules: readonly RoleRule[], groups: readonly string[]) {
  const matching = rules.filter((r) => r.group === '*' || groups.includes(r.group));
  if (matching.length === 0) return undefined;
  const role = matching.reduce<RoleName>(
    (best, r) => (RANK[r.role] > RANK[best] ? r.role : best),
    'viewer',
  );
  const environments =
    role === 'operator'
      ? [...new Set(matching.filter((r) => r.role === 'operator').flatMap((r) => r.environments))]
      : [];
  return { role, environments };
}

/** The OIDC client: discovery on first use (the provider may start after control). */
export function oidcLogin(config: OidcConfig, metadata: MetadataStore): OidcLogin {
  const rules = parseRoleRules(config.roles);
  let discovered: Promise<{ client: typeof Oidc; config: Oidc.Configuration }> | undefined;
  const discover = () => {
    discovered ??= (async () => {
      const client = await import('openid-client');
      const issuer = new URL(config.issuer);
      // Plain http only for a provider on this machine (a test's); anything else is TLS.
      const local = issuer.protocol === 'http:' && isLoopback(issuer);
      const found = await client.discovery(
        issuer,
        config.clientId,
        config.clientSecret,
        undefined,
        local ? { execute: [client.allowInsecureRequests] } : {},
      );
      return { client, config: found };
    })().catch((error) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };
  return {
    name: new URL(config.issuer).host,
    async start(returnTo) {
      const { client, config: provider } = await discover();
      const verifier = client.randomPKCECodeVerifier();
      const state = newSecret('state');
      const nonce = client.randomNonce();
      await metadata.access.saveOidcLogin({
        stateHash: hashSecret(state),
        verifier,
        nonce,
        returnTo,
      });
      return client
        .buildAuthorizationUrl(provider, {
          redirect_uri: config.redirectUrl,
          scope: 'openid profile email',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        })
        .toString();
    },
    async finish(callbackUrl) {
      const { client, config: provider } = await discover();
      const state = callbackUrl.searchParams.get('state') ?? '';
      const login = await metadata.access.takeOidcLogin(hashSecret(state));
      if (!login) throw new Error('unknown or expired sign-in (start again)');
      const current = new URL(config.redirectUrl);
      current.search = callbackUrl.search;
      const tokens = await client.authorizationCodeGrant(provider, current, {
        pkceCodeVerifier: login.verifier,
        expectedState: state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('the provider sent no ID token');
      const raw = claims[config.groupsClaim];
      const groups = Array.isArray(raw)
        ? raw.filter((g): g is string => typeof g === 'string')
        : [];
      const name = [claims.preferred_username, claims.email, claims.sub].find(
        (v): v is string => typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/.test(v),
      );
      return {
        subject: `${claims.iss}|${claims.sub}`,
        name: name ?? `sso-${hashSecret(claims.sub).slice(0, 12)}`,
        groups,
        returnTo: login.returnTo,
      };
    },
    roleOf: (groups) => roleOfGroups(rules, groups),
  };
}

/** A console path to land on: relative to the console, never another site. */
function consolePath(text: string | null): string {
  return text && /^\/(?!\/)[\x21-\x7e]{0,500}$/.test(text) && !text.includes('\\') ? text : '/runs';
}

function signInPage(error: string): string {
  return `/login?error=${encodeURIComponent(error)}`;
}

export function registerOidcRoutes(router: Router, deps: RouteDeps): void {
  router.route(controlApi.oidcStart, async ({ query }) =>
    guarded(async () => {
      if (!deps.oidc)
        throw new HttpProblem(404, 'no single sign-on', 'single sign-on is not configured');
      return { redirect: await deps.oidc.start(consolePath(query.get('returnTo'))) };
    }),
  );

  router.route(controlApi.oidcCallback, async (ctx: RequestContext) =>
    guarded(async () => {
      const oidc = deps.oidc;
      if (!oidc)
        throw new HttpProblem(404, 'no single sign-on', 'single sign-on is not configured');
      let identity: Awaited<ReturnType<OidcLogin['finish']>>;
      try {
        identity = await oidc.finish(new URL(`http://control${ctx.path}?${ctx.query}`));
      } catch (error) {
        ctx.audit.outcome = 'denied';
        ctx.audit.detail = { reason: (error as Error).message };
        return { redirect: signInPage(`single sign-on failed: ${(error as Error).message}`) };
      }
      ctx.audit.actor = { actor: `user:${identity.name}`, actorKind: 'user' };
      const grant = oidc.roleOf(identity.groups);
      if (!grant) {
        ctx.audit.outcome = 'denied';
        ctx.audit.detail = {
          via: 'oidc',
          groups: identity.groups,
          reason: 'no role for these groups',
        };
        return {
          redirect: signInPage(
            `${identity.name} has no Loadline role (groups: ${identity.groups.join(', ') || 'none'})`,
          ),
        };
      }
      let user: Awaited<ReturnType<typeof deps.metadata.access.upsertSsoUser>>;
      try {
        user = await deps.metadata.access.upsertSsoUser({
          subject: identity.subject,
          name: identity.name,
          role: grant.role,
          environments: grant.environments,
        });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        ctx.audit.outcome = 'denied';
        ctx.audit.detail = { via: 'oidc', reason: error.message };
        return { redirect: signInPage(error.message) };
      }
      if (user.disabled) {
        ctx.audit.outcome = 'denied';
        ctx.audit.detail = { via: 'oidc', reason: 'user disabled' };
        return { redirect: signInPage(`${user.name} is disabled`) };
      }
      await deps.metadata.access.recordSignIn(user.id);
      await startSession(deps, ctx, user);
      ctx.audit.detail = { via: 'oidc', groups: identity.groups, role: grant.role };
      return { redirect: identity.returnTo };
    }),
  );
}
