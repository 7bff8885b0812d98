// A real OpenID Connect provider on 127.0.0.1 (oidc-provider, with its development login
// and consent pages: any login name, any password) for the single sign-on test. Each login
// name's groups are fixed here; control maps groups to roles.
import http from 'node:http';
import Provider from 'oidc-provider';

export const CLIENT = { id: 'loadline-console', secret: 'loadline-console-secret-e2e' };

export interface Issuer {
  url: string;
  close: () => void;
}

/**
 * Starts a provider on 127.0.0.1:port that sends sign-ins back to `redirectUrl`; `groups`
 * by login name. (Control discovers it at the first sign-in: it may start after control.)
 */
export async function startIssuer(
  port: number,
  redirectUrl: string,
  groups: Record<string, string[]>,
): Promise<Issuer> {
  const url = `http://127.0.0.1:${port}`;
  const provider = new Provider(url, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: [redirectUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], profile: ['preferred_username', 'groups'], email: ['email'] },
    // The ID token carries the scopes' claims (groups): control reads no userinfo.
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, preferred_username: id, groups: groups[id] ?? [] }),
    }),
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['oidc-e2e-cookie-key'] },
  });
  const server = http.createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
