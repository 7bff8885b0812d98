// Sign-in, roles, CSRF, DNS rebinding, the audit log and four-eyes approvals in the console,
// in Chromium against a real `loadline up`. Screenshots land in test/artifacts/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  browserSkipReason,
  closeHttp,
  launchChromium,
  root,
  SESSION_COOKIE,
  signedInContext,
  signIn,
  UpStack,
  waitUntil,
} from '../support.js';
import { fetchFromPage, getWithHost, runCount, serveAttacker } from './access-support.js';

const artifacts = join(root, 'test', 'artifacts');
const skip = browserSkipReason();
const stack = new UpStack(join(mkdtempSync(join(tmpdir(), 'loadline-access-ui-')), 'state'));
let browser: Browser | undefined;
let admin: BrowserContext | undefined;

const PASSWORDS = {
  viewer: 'viewer-password-e2e',
  operator: 'operator-password-e2e',
  approver: 'approver-password-e2e',
};

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(artifacts, `console-${name}.png`), fullPage: true });
}

async function putJson(path: string, body: unknown) {
  const response = await fetch(`${stack.api}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
}

/** A fresh context signed in as `user`; its pages collect uncaught errors into `errors`. */
async function as(user: string, password: string, errors: string[] = []) {
  const context = await signedInContext(browser as Browser, stack.site, user, password);
  context.on('page', (page) => page.on('pageerror', (e) => errors.push(String(e))));
  return context;
}

describe('sign-in, roles and approvals in the console', { skip, timeout: 300_000 }, () => {
  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    browser = await launchChromium();
    await stack.start({ agents: 1, waitForConsole: true });
    const source = `name: access-e2e
target: ${stack.demo}
agents: 1
load: { rate: 5, duration: 2s }
flows:
  - name: browse
    steps:
      - { name: list, request: { path: /api/products }, check: { status: 200 } }
`;
    const saved = await fetch(`${stack.api}/scenarios`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source }),
    });
    assert.equal(saved.status, 201, await saved.clone().text());
    await putJson('/environments/ops-e2e', { allowedHosts: ['127.0.0.1'], requiresShadow: false });
  });

  after(async () => {
    await browser?.close();
    await stack.stop();
  });

  it('sends an anonymous page to sign in, refuses a wrong password, then comes back', async () => {
    const context = await (browser as Browser).newContext({
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(`${stack.site}/runs?status=failed`);
    await page.waitForURL(/\/login\?next=%2Fruns%3Fstatus%3Dfailed$/);
    await page.getByLabel('User name', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('sign-in-error').getByText('Wrong user name or password.').waitFor();
    assert.deepEqual(
      (await context.cookies()).filter((c) => c.name === SESSION_COOKIE),
      [],
      'no session after a refused sign-in',
    );
    await shot(page, 'login-refused');

    // Guessing is slowed down: after ten failures for one name from here, 429 and how long.
    for (let i = 0; i < 10; i++) {
      const guess = await fetch(`${stack.site}/api/control/auth/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'guessed-e2e', password: `guess-${i}` }),
      });
      assert.equal(guess.status, 401);
    }
    await page.getByLabel('User name', { exact: true }).fill('guessed-e2e');
    await page.getByLabel('Password', { exact: true }).fill('guess-10');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page
      .getByTestId('sign-in-error')
      .getByText(/^Too many failed sign-ins from here: try again in \d+ s\.$/)
      .waitFor();
    await page.getByLabel('User name', { exact: true }).fill('admin');

    await page.getByLabel('Password', { exact: true }).fill(stack.adminPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${stack.site}/runs?status=failed`);
    await page.getByTestId('account-name').getByText('admin', { exact: true }).waitFor();
    assert.equal(await page.getByTestId('account-role').textContent(), 'admin');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Audit' }).waitFor();
    await nav.getByRole('link', { name: 'Access' }).waitFor();
    const [cookie] = (await context.cookies()).filter((c) => c.name === SESSION_COOKIE);
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    admin = context;
    await page.close();
  });

  it('creates a viewer and an operator of one environment, and a token shown once', async () => {
    const page = await (admin as BrowserContext).newPage();
    await page.goto(`${stack.site}/access`);
    const form = page.getByTestId('user-form');
    await form.getByLabel('User name', { exact: true }).fill('viewer-e2e');
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByLabel('Password', { exact: true }).fill(PASSWORDS.viewer);
    await form.getByRole('button', { name: 'Save user' }).click();
    await page.getByTestId('user-saved').getByText('Saved viewer-e2e (viewer).').waitFor();
    await form.getByLabel('User name', { exact: true }).fill('operator-e2e');
    await form.getByLabel('Role').selectOption('operator');
    await form.getByLabel('Operator of environments').fill('ops-e2e');
    await form.getByLabel('Password', { exact: true }).fill(PASSWORDS.operator);
    await form.getByRole('button', { name: 'Save user' }).click();
    await page.getByTestId('user-operator-e2e').waitFor();
    type Listed = { name: string; role: string; environments: string[] };
    const { users } = (await (await fetch(`${stack.api}/users`)).json()) as { users: Listed[] };
    const byName = new Map(users.map((u) => [u.name, u]));
    assert.deepEqual(
      [byName.get('viewer-e2e'), byName.get('operator-e2e')].map((u) => [u?.role, u?.environments]),
      [
        ['viewer', []],
        ['operator', ['ops-e2e']],
      ],
    );

    // A short password is refused under its field, from control's own rule.
    await form.getByLabel('User name', { exact: true }).fill('short-e2e');
    await form.getByLabel('Password', { exact: true }).fill('short');
    await form.getByRole('button', { name: 'Save user' }).click();
    await page.getByTestId('error-password').waitFor();

    const tokens = page.getByTestId('token-form');
    await tokens.getByLabel('Name').fill('ci-e2e');
    await tokens.getByLabel('Role').selectOption('viewer');
    await tokens.getByRole('button', { name: 'Make token' }).click();
    const token = (await page.getByTestId('token-value').textContent()) ?? '';
    assert.match(token, /^llt_[A-Za-z0-9_-]{43}$/);
    const asToken = { headers: { authorization: `Bearer ${token}` } };
    const who = await (await fetch(`${stack.api}/auth/session`, asToken)).json();
    assert.deepEqual([who.name, who.role, who.via], ['admin', 'viewer', 'token']);
    await shot(page, 'access');
    const row = page.getByTestId('tokens-table').locator('tr', { hasText: 'ci-e2e' });
    await row.getByRole('button', { name: /^Revoke ci-e2e/ }).click();
    await row
      .getByTestId('token-state')
      .getByText(/^revoked/)
      .waitFor();
    assert.equal((await fetch(`${stack.api}/auth/session`, asToken)).status, 401);
    await page.close();
  });

  it('offers a viewer no launch, and control refuses one sent anyway, naming the permission', async () => {
    const errors: string[] = [];
    const viewer = await as('viewer-e2e', PASSWORDS.viewer, errors);
    const page = await viewer.newPage();
    await page.goto(`${stack.site}/runs`);
    assert.equal(await page.getByTestId('account-role').textContent(), 'viewer');
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Audit' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Access' }).count(), 0);

    await page.goto(`${stack.site}/scenarios/launch?name=access-e2e`);
    const launch = page.getByRole('button', { name: 'Launch', exact: true });
    await page.getByTestId('launch-needs').waitFor();
    assert.equal(await launch.isDisabled(), true);
    assert.equal(await launch.getAttribute('title'), 'needs run.launch');
    await shot(page, 'launch-viewer');

    const before = await runCount(stack.api);
    const sent = await fetchFromPage(page, '/api/control/runs', {
      method: 'POST',
      body: { scenario: 'access-e2e' },
      csrf: true,
    });
    assert.equal(sent.status, 403);
    assert.match(String(sent.json.detail), /viewer-e2e \(viewer\) lacks permission "run\.launch"/);
    assert.equal(await runCount(stack.api), before);
    await viewer.close();

    // An operator of ops-e2e: launching there is offered, in local it is not.
    const operator = await as('operator-e2e', PASSWORDS.operator, errors);
    const other = await operator.newPage();
    await other.goto(`${stack.site}/scenarios/launch?name=access-e2e`);
    const operatorLaunch = other.getByRole('button', { name: 'Launch', exact: true });
    await other.getByLabel('Environment').selectOption('local');
    await other.getByTestId('launch-needs').waitFor();
    assert.equal(await operatorLaunch.getAttribute('title'), 'needs run.launch in local');
    await other.getByLabel('Environment').selectOption('ops-e2e');
    await other
      .getByTestId('launch-check')
      .getByText(/Ready: v1 .* in environment ops-e2e/)
      .waitFor();
    assert.equal(await operatorLaunch.isDisabled(), false);
    await operator.close();
    assert.deepEqual(errors, []);
  });

  it('writes nothing for a page of another origin, nor for a session write without its CSRF token', async () => {
    const before = await runCount(stack.api);
    const { server, base } = await serveAttacker(stack.site);
    try {
      const page = await (admin as BrowserContext).newPage();
      await page.goto(base);
      const attempts = (await page.evaluate('window.attempts')) as string[];
      assert.equal(attempts[0], 'form posted');
      // The no-cors post leaves unread (403 from the proxy); the others never leave the browser.
      assert.match(attempts[1] ?? '', /^answered 0 opaque$/);
      assert.match(attempts[2] ?? '', /^blocked/, 'no preflight passes for another origin');
      assert.match(attempts[3] ?? '', /^blocked/, 'the CSRF token is not readable from there');
      await page.close();
    } finally {
      closeHttp(server);
    }
    assert.equal(await runCount(stack.api), before, 'no run was created');

    const page = await (admin as BrowserContext).newPage();
    await page.goto(`${stack.site}/runs`);
    const bare = await fetchFromPage(page, '/api/control/runs', {
      method: 'POST',
      body: { scenario: 'access-e2e' },
    });
    assert.equal(bare.status, 403);
    assert.equal(bare.json.title, 'CSRF token missing or wrong');
    assert.equal(await runCount(stack.api), before);
    await page.close();
  });

  it('answers 421 to a Host it does not answer to, pages and proxy alike', async () => {
    for (const path of ['/runs', '/login', '/api/control/health']) {
      const answer = await getWithHost(`${stack.site}${path}`, 'evil.example');
      assert.equal(answer.status, 421, path);
      assert.equal(answer.type, 'application/problem+json');
      assert.match(JSON.parse(answer.body).detail, /Host "evil\.example"/);
    }
    const local = await getWithHost(`${stack.site}/api/control/health`, 'localhost');
    assert.equal(local.status, 200);
  });

  it('lists the sign-ins in the audit log, the refused one too, with actor and source', async () => {
    const page = await (admin as BrowserContext).newPage();
    await page.goto(`${stack.site}/audit`);
    await page.getByLabel('Actor').fill('user:admin');
    await page.getByLabel('Action').fill('auth.*');
    await page.getByLabel('Outcome').selectOption('denied');
    await page.getByRole('button', { name: 'Filter' }).click();
    const table = page.getByTestId('audit-table');
    const refused = table.locator('tr[data-action="auth.sign-in"][data-outcome="denied"]');
    // The list follows the filter once its answer is in: refusals only.
    await waitUntil(
      'only refused sign-ins listed',
      async () =>
        (await refused.count()) > 0 &&
        (await table.locator('tbody tr:not([data-outcome="denied"])').count()) === 0,
      10_000,
    );
    assert.deepEqual(
      [...new Set(await table.getByTestId('audit-actor').allTextContents())],
      ['user:admin'],
      'the actor filter holds: the guesses at another name are not listed',
    );
    assert.match((await refused.first().textContent()) ?? '', /"reason":"wrong password"/);
    // The browser's address, and the console it came through (control trusts loopback).
    assert.match(
      (await refused.first().getByTestId('audit-source').textContent()) ?? '',
      /^127\.0\.0\.1 via 127\.0\.0\.1$/,
    );
    await page.getByLabel('Actor').fill('');
    await page.getByLabel('Outcome').selectOption('ok');
    await page.getByRole('button', { name: 'Filter' }).click();
    for (const user of ['admin', 'viewer-e2e', 'operator-e2e']) {
      await table
        .locator('tr[data-action="auth.sign-in"][data-outcome="ok"]', { hasText: `user:${user}` })
        .first()
        .waitFor();
    }
    await shot(page, 'audit');
    await page.close();
  });

  it('holds a launch in a protected environment until a second operator approves it', async () => {
    const errors: string[] = [];
    const page = await (admin as BrowserContext).newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${stack.site}/environments`);
    await page.getByLabel('Name', { exact: true }).fill('prod-e2e');
    await page.getByLabel('Allowed hosts').fill('127.0.0.1');
    await page.getByLabel(/Requires shadow/).uncheck();
    await page.getByLabel(/^Protected/).check();
    await page.getByRole('button', { name: 'Save environment' }).click();
    const row = page.getByTestId('environment-prod-e2e');
    await row.getByTestId('environment-protected').getByText('yes: four eyes').waitFor();

    // A secret: set through a password field, listed by name, its value never shown again.
    await row.getByRole('button', { name: 'Secrets of prod-e2e' }).click();
    const secrets = page.getByTestId('environment-secrets');
    await secrets.getByLabel('Secret name').fill('API_TOKEN');
    assert.equal(await secrets.getByLabel('Value').getAttribute('type'), 'password');
    await secrets.getByLabel('Value').fill('s3cret-value-e2e');
    await secrets.getByRole('button', { name: 'Set secret' }).click();
    await secrets.getByTestId('secret-API_TOKEN').getByText('user:admin').waitFor();
    assert.equal(await secrets.getByLabel('Value').inputValue(), '');
    assert.ok(!(await page.content()).includes('s3cret-value-e2e'));
    await shot(page, 'environment-secrets');
    await secrets.getByLabel('Secret name').fill('OLD_KEY');
    await secrets.getByLabel('Value').fill('old-value-e2e');
    await secrets.getByRole('button', { name: 'Set secret' }).click();
    await secrets.getByRole('button', { name: 'Remove secret OLD_KEY' }).click();
    await secrets.getByTestId('secret-note').getByText('Removed OLD_KEY from prod-e2e.').waitFor();
    const stored = await (await fetch(`${stack.api}/environments/prod-e2e/secrets`)).json();
    assert.deepEqual(
      stored.secrets.map((x: { name: string }) => x.name),
      ['API_TOKEN'],
    );

    await putJson('/users/approver-e2e', {
      role: 'operator',
      environments: ['prod-e2e'],
      password: PASSWORDS.approver,
    });
    await page.goto(`${stack.site}/scenarios/launch?name=access-e2e`);
    await page.getByLabel('Environment').selectOption('prod-e2e');
    await page.getByTestId('launch-protected').waitFor();
    await shot(page, 'launch-protected');
    await page.getByRole('button', { name: 'Launch', exact: true }).click();
    await page.waitForURL(/\/runs\/run_/);
    const runId = page.url().split('/').at(-1) as string;
    await page.getByTestId('awaiting-note').waitFor();
    assert.equal(await page.getByTestId('approval-state').textContent(), 'awaiting approval');
    assert.equal(await page.getByTestId('launched-by').textContent(), 'Launched by user:admin');

    // Not by the one who asked: control says so, and the page shows it.
    await page.getByRole('button', { name: `Approve run ${runId}` }).click();
    await page
      .getByTestId('approval-error')
      .getByText(/user:admin asked for this run; a second operator or admin/)
      .waitFor();
    await shot(page, 'run-awaiting');
    await page.goto(`${stack.site}/runs`);
    await page.getByTestId('awaiting-runs').getByText('1 run awaiting approval').waitFor();
    await page.locator(`tr[data-status="awaiting-approval"]`, { hasText: runId }).waitFor();

    const approver = await as('approver-e2e', PASSWORDS.approver, errors);
    const second = await approver.newPage();
    await second.goto(`${stack.site}/runs/${runId}`);
    await second.getByRole('button', { name: `Approve run ${runId}` }).click();
    await second
      .getByTestId('approval-decided-by')
      .getByText(/^user:approver-e2e/)
      .waitFor();
    await waitUntil(
      'the approved run finishing',
      async () => (await (await fetch(`${stack.api}/runs/${runId}`)).json()).status === 'passed',
      60_000,
    );
    await second.getByTestId('run-summary').waitFor({ timeout: 15_000 });

    // A refusal needs a reason, and the one who asked reads it on the run.
    const created = await fetch(`${stack.api}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scenario: 'access-e2e', environment: 'prod-e2e' }),
    });
    const refusedId = (await created.json()).id as string;
    await second.goto(`${stack.site}/runs/${refusedId}`);
    await second.getByRole('button', { name: `Refuse run ${refusedId}` }).click();
    await second.getByText('Say why it is refused').waitFor();
    await second.getByLabel('Reason for refusing').fill('not during the sale');
    await second.getByRole('button', { name: `Refuse run ${refusedId}` }).click();
    await second.getByTestId('approval-reason').getByText('not during the sale').waitFor();
    const refused = await (await fetch(`${stack.api}/runs/${refusedId}`)).json();
    assert.equal(refused.status, 'aborted');

    // A schedule there fires only once approved: the second operator approves it too.
    const scheduled = await fetch(`${stack.api}/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'nightly-prod-e2e',
        scenario: 'access-e2e',
        cron: '0 3 1 1 *',
        environment: 'prod-e2e',
      }),
    });
    assert.equal(scheduled.status, 201, await scheduled.clone().text());
    await second.goto(`${stack.site}/schedules`);
    const schedule = second.getByTestId('schedule-nightly-prod-e2e');
    await schedule.getByTestId('approval-state').getByText('awaiting approval').waitFor();
    await schedule.getByRole('button', { name: 'Approve schedule nightly-prod-e2e' }).click();
    await schedule.getByTestId('approval-state').getByText('approved').waitFor();
    await shot(second, 'schedules-approved');
    await approver.close();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('keeps writing after a sign-in in another tab replaced the session', async () => {
    const page = await (admin as BrowserContext).newPage();
    await page.goto(`${stack.site}/environments`);
    await page.getByTestId('account-name').waitFor();
    const other = await (admin as BrowserContext).newPage();
    await signIn(other, stack.site, 'admin', stack.adminPassword);
    await other.close();
    // This tab's CSRF token was the old session's: control refuses it, the page asks anew.
    await page.getByLabel('Name', { exact: true }).fill('tab-e2e');
    await page.getByLabel('Allowed hosts').fill('127.0.0.1');
    await page.getByRole('button', { name: 'Save environment' }).click();
    await page.getByTestId('environment-saved').getByText('Saved environment tab-e2e.').waitFor();
    await page.close();
  });

  it('signs out: back to sign-in, and the old cookie opens nothing', async () => {
    const context = admin as BrowserContext;
    const [cookie] = (await context.cookies()).filter((c) => c.name === SESSION_COOKIE);
    assert.ok(cookie, 'signed in');
    const page = await context.newPage();
    await page.goto(`${stack.site}/runs`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack.site}/login`);
    await page.goto(`${stack.site}/audit`);
    await page.waitForURL(/\/login\?next=%2Faudit$/);
    const old = await fetch(`${stack.site}/api/control/auth/session`, {
      headers: { cookie: `${SESSION_COOKIE}=${cookie.value}` },
    });
    assert.equal(old.status, 401);
    // The old cookie put back: the page's first call answers 401, and it goes to sign in.
    await context.addCookies([{ ...cookie, sameSite: 'Strict' }]);
    await page.goto(`${stack.site}/schedules?from=stale`);
    await page.waitForURL(/\/login\?next=%2Fschedules%3Ffrom%3Dstale$/);
    // Signing in again works: the sign-out ended a session, not the user.
    await signIn(page, stack.site, 'admin', stack.adminPassword, '/audit');
    await context.close();
  });
});
