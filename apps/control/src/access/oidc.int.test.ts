// Single sign-on against a real OpenID Connect provider (the `oidc-provider` package, on
// 127.0.0.1), the browser played by fetch with a cookie jar: control redirects to the
// provider, the user signs in there, the provider's groups become a Loadline role.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Provider from 'oidc-provider';
import { Control } from '../control.js';
import {
  adminFetch,
  callApi,
  type Json,
  skipWithoutRedis,
  stopAll,
  testControlConfig,
  testRedis,
} from '../testing.js';

const redis = testRedis(process.env.REDIS_URL);
const skip = await skipWithoutRedis(redis);

/** The provider's directory: who belongs to which group. */
const GROUPS: Record<string, string[]> = {
  alice: ['sre', 'everyone'],
  priya: ['platform'],
  bob: ['marketing'],
  admin: ['platform'],
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = http.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/** A browser, as far as redirects and cookies go. */
class Browser {
  readonly #cookies = new Map<string, Map<string, string>>();

  async go(url: string, init: RequestInit = {}): Promise<Response> {
    const origin = new URL(url).origin;
    const jar = this.#cookies.get(origin) ?? new Map<string, string>();
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line))
        jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), value);
    }
    this.#cookies.set(origin, jar);
    return response;
  }

  cookie(origin: string, name: string): string | undefined {
    return this.#cookies.get(new URL(origin).origin)?.get(name);
  }

  /** Follows redirects until one leaves for `stopAt` (not followed), or a page answers. */
  async follow(url: string, stopAt: string, init: RequestInit = {}): Promise<string> {
    let response = await this.go(url, init);
    let at = url;
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location');
      if (!location) break;
      at = new URL(location, at).toString();
      if (at.startsWith(stopAt)) return at;
      response = await this.go(at);
    }
    return at;
  }
}

let provider: http.Server;
let issuer = '';
let control: Control;
let admin: typeof fetch;

/** Signs `login` in at the provider, starting from control; where the browser lands. */
async function signOn(browser: Browser, login: string) {
  const start = await browser.go(`${control.url}/auth/oidc/start?returnTo=/runs/run_1`);
  assert.equal(start.status, 302);
  const authorize = new URL(start.headers.get('location') as string);
  assert.equal(authorize.origin, issuer);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  // The provider's sign-in page, then its consent page: both are forms posted to it.
  let page = await browser.follow(authorize.toString(), control.url);
  for (const prompt of ['login', 'consent']) {
    if (page.startsWith(control.url)) break;
    const html = await (await browser.go(page)).text();
    const action = /action="([^"]+)"/.exec(html)?.[1] as string;
    const form = new URLSearchParams({ prompt, login, password: 'any' });
    page = await browser.follow(
      new URL(action.replace(/&amp;/g, '&'), page).toString(),
      control.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      },
    );
  }
  assert.ok(page.startsWith(`${control.url}/auth/oidc/callback?`), page);
  const callback = await browser.go(page);
  return { callback, location: callback.headers.get('location') ?? '', page };
}

describe('single sign-on over OpenID Connect (real provider)', { skip }, () => {
  before(async () => {
    const [providerPort, controlPort] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${providerPort}`;
    const callback = `http://127.0.0.1:${controlPort}/auth/oidc/callback`;
    const oidc = new Provider(issuer, {
      clients: [
        {
          client_id: 'loadline',
          client_secret: 'a client secret for the test',
          redirect_uris: [callback],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      claims: { openid: ['sub'], profile: ['preferred_username', 'groups'], email: ['email'] },
      conformIdTokenClaims: false,
      findAccount: async (_ctx, id) => ({
        accountId: id,
        claims: async () => ({ sub: `id-${id}`, preferred_username: id, groups: GROUPS[id] ?? [] }),
      }),
      cookies: { keys: ['cookie key of the test provider'] },
    });
    provider = http.createServer(oidc.callback());
    await new Promise<void>((resolve) => provider.listen(providerPort, '127.0.0.1', resolve));
    control = await Control.start(
      testControlConfig(redis, 'loadline-oidc-', {
        port: controlPort,
        oidc: {
          issuer,
          clientId: 'loadline',
          clientSecret: 'a client secret for the test',
          redirectUrl: callback,
          roles: 'sre=operator:staging,platform=admin,everyone=viewer',
          groupsClaim: 'groups',
        },
      }),
    );
    admin = await adminFetch(control);
  });
  after(async () => {
    provider?.closeAllConnections();
    provider?.close();
    await stopAll(redis, [], control, http.createServer());
  });

  it('says single sign-on is there', async () => {
    const providers = await callApi(control.url, 'GET', '/auth/providers');
    assert.deepEqual(providers.json, {
      password: true,
      oidc: { name: new URL(issuer).host, start: '/auth/oidc/start' },
    });
  });

  it("signs a person in with the provider; their groups make the role, their session the console's", async () => {
    const browser = new Browser();
    const { callback, location } = await signOn(browser, 'alice');
    assert.equal(callback.status, 302);
    assert.equal(location, '/runs/run_1', 'back where the console asked');
    const cookie = browser.cookie(control.url, 'loadline_session');
    assert.match(cookie ?? '', /^lls_/);
    const me = await fetch(`${control.url}/auth/session`, {
      headers: { cookie: `loadline_session=${cookie}` },
    });
    const whoami = (await me.json()) as Json;
    assert.equal(whoami.name, 'alice');
    assert.equal(whoami.role, 'operator', 'the highest role of her groups');
    assert.deepEqual(whoami.environments, ['staging']);
    const users = await callApi(control.url, 'GET', '/users', undefined, admin);
    const alice = users.json.users.find((u: Json) => u.name === 'alice');
    assert.equal(alice.source, 'oidc');
  });

  it('refuses a person whose groups give no role, and a local name it would take over', async () => {
    const browser = new Browser();
    const bob = await signOn(browser, 'bob');
    assert.equal(bob.callback.status, 302);
    assert.match(
      decodeURIComponent(bob.location),
      /^\/login\?error=bob has no Loadline role \(groups: marketing\)/,
    );
    assert.equal(browser.cookie(control.url, 'loadline_session'), undefined);
    // `admin` is control's own local user: single sign-on does not take it over.
    const taken = await signOn(new Browser(), 'admin');
    assert.match(decodeURIComponent(taken.location), /^\/login\?error=/);
    const audit = await callApi(control.url, 'GET', '/audit?action=auth.sign-in', undefined, admin);
    const denied = audit.json.events.find((e: Json) => e.actor === 'user:bob');
    assert.equal(denied.outcome, 'denied');
    assert.deepEqual(denied.detail.groups, ['marketing']);
    const ok = audit.json.events.find((e: Json) => e.actor === 'user:alice');
    assert.equal(ok.outcome, 'ok');
    assert.equal(ok.detail.via, 'oidc');
  });

  it('uses each sign-on once: a replayed callback signs nobody in', async () => {
    const browser = new Browser();
    const first = await signOn(browser, 'priya');
    assert.equal(first.location, '/runs/run_1');
    const again = new Browser();
    const replay = await again.go(first.page);
    assert.equal(replay.status, 302);
    assert.match(
      decodeURIComponent(replay.headers.get('location') ?? ''),
      /unknown or expired sign-in/,
    );
    assert.equal(again.cookie(control.url, 'loadline_session'), undefined);
  });
});
