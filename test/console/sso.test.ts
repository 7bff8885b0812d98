// Single sign-on through the console, in Chromium, against a real OpenID Connect provider:
// the sign-in page offers it, the proxy hands every redirect to the browser and the
// session cookie back from control, and a refused sign-on comes back with why.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  browserSkipReason,
  freePort,
  launchChromium,
  root,
  SESSION_COOKIE,
  UpStack,
} from '../support.js';
import { CLIENT, type Issuer, startIssuer } from './oidc-issuer.js';

const artifacts = join(root, 'test', 'artifacts');
const skip = browserSkipReason();
const stack = new UpStack(join(mkdtempSync(join(tmpdir(), 'loadline-sso-ui-')), 'state'));
let browser: Browser | undefined;
let issuer: Issuer | undefined;

/** From the console's sign-in page through the provider's login and consent pages. */
async function signOnAs(page: Page, login: string): Promise<void> {
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await page.waitForURL((url) => url.origin === issuer?.url);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

describe('single sign-on through the console', { skip, timeout: 180_000 }, () => {
  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    browser = await launchChromium();
    const issuerPort = await freePort();
    await stack.start({
      agents: 0,
      waitForConsole: true,
      env: (s) => ({
        LOADLINE_OIDC_ISSUER: `http://127.0.0.1:${issuerPort}`,
        LOADLINE_OIDC_CLIENT_ID: CLIENT.id,
        LOADLINE_OIDC_CLIENT_SECRET: CLIENT.secret,
        LOADLINE_OIDC_REDIRECT_URL: `${s.site}/api/control/auth/oidc/callback`,
        LOADLINE_OIDC_ROLES: 'platform=admin,sre=operator:local',
      }),
    });
    issuer = await startIssuer(issuerPort, `${stack.site}/api/control/auth/oidc/callback`, {
      'sso-admin': ['platform'],
      'sso-stranger': ['marketing'],
    });
  });

  after(async () => {
    await browser?.close();
    issuer?.close();
    await stack.stop();
  });

  it('signs a member of a mapped group in and lands on the page asked for', async () => {
    const context = await (browser as Browser).newContext({
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${stack.site}/audit?actor=user%3Asso-admin`);
    await page.waitForURL(/\/login\?next=%2Faudit%3Factor%3Duser%253Asso-admin$/);
    await page.getByText(`(127.0.0.1:${new URL(issuer?.url ?? '').port})`).waitFor();
    await page.screenshot({ path: join(artifacts, 'console-login.png'), fullPage: true });
    await signOnAs(page, 'sso-admin');
    await page.waitForURL(`${stack.site}/audit?actor=user%3Asso-admin`);
    await page.getByTestId('account-name').getByText('sso-admin', { exact: true }).waitFor();
    assert.equal(await page.getByTestId('account-role').textContent(), 'admin');
    const [cookie] = (await context.cookies(stack.site)).filter((c) => c.name === SESSION_COOKIE);
    assert.equal(cookie?.httpOnly, true);
    // Its sign-in is in the audit log, through single sign-on.
    const { events } = await (
      await fetch(`${stack.api}/audit?action=auth.sign-in&actor=user:sso-admin`)
    ).json();
    assert.equal(events[0]?.outcome, 'ok');
    assert.equal(events[0]?.detail.via, 'oidc');
    await context.close();
  });

  it('brings a sign-on without a role back to the sign-in page, saying why', async () => {
    const context = await (browser as Browser).newContext({
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${stack.site}/login?next=%2Fruns`);
    await signOnAs(page, 'sso-stranger');
    await page.waitForURL(/\/login\?error=/);
    await page
      .getByTestId('sso-error')
      .getByText('sso-stranger has no Loadline role (groups: marketing)')
      .waitFor();
    assert.deepEqual(
      (await context.cookies(stack.site)).filter((c) => c.name === SESSION_COOKIE),
      [],
    );
    await page.screenshot({
      path: join(artifacts, 'console-login-sso-refused.png'),
      fullPage: true,
    });
    await context.close();
  });
});
