// The console in a real browser against the real stack: `loadline up` (control, two
// agents, demo mall) and the built console (`next start`), driven by Debian's Chromium.
// Screenshots of each page land in test/artifacts/ for a reviewer.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  browserSkipReason,
  cli,
  closeHttp,
  freePort,
  launchChromium,
  openFromNav,
  root,
  SESSION_COOKIE,
  serveHttp,
  signedInContext,
  startConsole,
  stopChild,
  UpStack,
  waitUntil,
} from '../support.js';

const artifacts = join(root, 'test', 'artifacts');
const dir = mkdtempSync(join(tmpdir(), 'loadline-console-'));

const skip = browserSkipReason();
if (skip) console.error(`console e2e skipped: ${skip}`);

const stack = new UpStack(join(dir, 'state'));
let browser: Browser | undefined;
/** pages signed in as the first admin, through the sign-in page */
let admin: BrowserContext | undefined;
let api = '';
let demo = '';
let site = '';

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(artifacts, `console-${name}.png`), fullPage: true });
}

const scenario = (loadLines: string) => `name: console-e2e
target: ${demo}
agents: 2
load:
  rate: 40
${loadLines}
flows:
  - name: browse
    steps:
      - name: list
        request: { path: /api/products }
        check: { status: 200 }
thresholds:
  errors: ["rate<0.01"]
guardrails:
  - { metric: errors, rate: ">0.5", for: 10s }
`;

describe('console in Chromium against loadline up', { skip, timeout: 180_000 }, () => {
  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    browser = await launchChromium();
    // `loadline up` starts the built console itself, as `npm start` does.
    await stack.start({ agents: 2, waitForConsole: true });
    api = stack.api;
    demo = stack.demo;
    site = stack.site;
    admin = await signedInContext(browser, site, 'admin', stack.adminPassword);
  });

  after(async () => {
    await browser?.close();
    await stack.stop();
  });

  it('edits, validates, saves, launches, watches, stops and reports a run', async (t) => {
    const context = await signedInContext(browser as Browser, site, 'admin', stack.adminPassword, {
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (error) => consoleErrors.push(String(error)));

    await page.goto(`${site}/scenarios`);
    await page.getByText('No scenario yet').waitFor();
    await shot(page, 'scenarios-empty');

    // A typo on line 6: the editor underlines it there and lists it with its position.
    await page.getByRole('link', { name: 'New scenario' }).click();
    const editor = page.locator('.cm-content');
    await editor.waitFor();
    await editor.click();

    // A valid scenario: the preview draws its load profile and flow mix as you type.
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(scenario('  duration: 60s'));
    await page.getByTestId('scenario-valid').waitFor();
    const preview = page.getByTestId('scenario-preview');
    await preview.getByTestId('load-profile').locator('canvas').waitFor();
    assert.equal(await preview.getByTestId('load-profile').getAttribute('data-unit'), 'req/s');
    await preview.getByTestId('flow-mix').getByText('browse 100%').waitFor();

    // Key completion: a partial key on a new line under load: offers the load keys.
    await page.keyboard.press('Control+Home');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.insertText('  ');
    await page.keyboard.type('dur');
    const completions = page.locator('.cm-tooltip-autocomplete');
    await completions.getByRole('option', { name: /^duration/ }).waitFor();
    assert.equal(
      await completions.getByRole('option', { name: /^vus/ }).count(),
      0,
      'only keys matching "dur" are listed',
    );
    await shot(page, 'editor-preview');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(scenario('  duraton: 60s'));
    const problems = page.getByTestId('scenario-problems');
    await problems.getByText('line 6:3 load.duraton: unknown key "duraton"').waitFor();
    const underlined = page.locator('.cm-lintRange-error', { hasText: 'duraton' });
    await underlined.waitFor();
    const lineOfUnderline = await underlined.evaluate((el) => {
      const line = el.closest('.cm-line');
      return line ? [...(line.parentElement?.children ?? [])].indexOf(line) + 1 : -1;
    });
    assert.equal(lineOfUnderline, 6, 'the typo is underlined on line 6');
    assert.equal(
      await page.getByRole('button', { name: 'Save version' }).isDisabled(),
      true,
      'an invalid scenario cannot be saved',
    );
    await shot(page, 'editor-error');

    // Fix the typo where it is: select the word and type over it.
    await underlined.dblclick();
    await page.keyboard.insertText('duration');
    await page.getByTestId('scenario-valid').waitFor();
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByTestId('saved-note').getByText('Saved console-e2e v1.').waitFor();
    await shot(page, 'editor-saved');

    // Launch: the live page streams counters and chart points every second.
    await page.getByRole('button', { name: 'Launch v1' }).click();
    await page.waitForURL(/\/runs\/run_/);
    const runId = page.url().split('/runs/')[1] as string;
    const requests = page.getByTestId('live-requests');
    const readRequests = async () => Number((await requests.textContent())?.replace(/,/g, ''));
    await waitUntil('live requests counting', async () => (await readRequests()) > 0, 20_000);
    const first = await readRequests();
    await waitUntil('live requests moving', async () => (await readRequests()) > first, 5000);
    const chart = page.getByTestId('rate-chart');
    await waitUntil(
      'the rate chart has points',
      async () => Number(await chart.getAttribute('data-points')) >= 2,
      10_000,
    );
    assert.equal(await page.locator('[data-testid=rate-chart] canvas').count(), 1);
    // Achieved against target, per step, per agent, and the guardrail's state.
    await page
      .getByTestId('live-rate')
      .getByText(/of \d+\/s target/)
      .waitFor({ timeout: 5000 });
    await page.getByTestId('live-steps').locator('tbody tr', { hasText: 'list' }).waitFor();
    await waitUntil(
      'both agents in the live table',
      async () => (await page.locator('[data-testid=live-agents] tbody tr').count()) === 2,
      5000,
    );
    await page.getByTestId('step-p99-chart').locator('canvas').waitFor();
    await page.getByTestId('agent-rate-chart').locator('canvas').waitFor();
    await page.getByTestId('guardrails').getByText('armed, clear').waitFor();
    await shot(page, 'run-live');

    // The rate slider: ×2 on every agent, marked on the charts and on the run's timeline.
    await page.locator('#rate-multiplier').fill('2');
    await page.getByTestId('rate-wanted').getByText('×2.0').waitFor();
    await page.getByRole('button', { name: 'Apply rate' }).click();
    await page.getByTestId('rate-current').getByText('now ×2').waitFor({ timeout: 5000 });
    await waitUntil(
      'the rate change marked on the throughput chart',
      async () => /:×2$/.test((await chart.getAttribute('data-markers')) ?? ''),
      5000,
    );
    const timeline = (await (await fetch(`${api}/runs/${runId}`)).json()).rateChanges;
    assert.deepEqual(
      timeline.map((c: { rateMultiplier: number; changedBy: string }) => [
        c.rateMultiplier,
        c.changedBy,
      ]),
      [[2, 'user:admin']],
    );
    await shot(page, 'run-live-rate');

    // Stop: every agent stops and the page says so within two seconds.
    const stopClicked = Date.now();
    await page.getByRole('button', { name: 'Stop run' }).click();
    await page.getByTestId('stopped-note').waitFor({ timeout: 5000 });
    const stopSeenMs = Date.now() - stopClicked;
    t.diagnostic(`the stop showed ${stopSeenMs} ms after the click`);
    assert.ok(stopSeenMs < 2000, `the stop showed after ${stopSeenMs} ms`);
    await page.getByTestId('run-summary').waitFor();
    assert.equal(await page.getByTestId('run-status').first().textContent(), 'aborted');
    const run = await (await fetch(`${api}/runs/${runId}`)).json();
    assert.equal(run.status, 'aborted');
    assert.equal(
      await page
        .locator('[data-testid=steps-table] tbody tr')
        .first()
        .locator('td')
        .first()
        .textContent(),
      'list',
    );
    await shot(page, 'run-detail');

    // The latency distribution of the finished run: a uPlot canvas, no error, per step too.
    const distribution = page.getByTestId('distribution-chart');
    await distribution.locator('canvas').waitFor();
    assert.equal(await distribution.getAttribute('data-state'), 'ready');
    assert.equal(await distribution.getByRole('alert').count(), 0);
    assert.ok(Number(await distribution.getAttribute('data-points')) >= 10);
    await page.getByLabel('Distribution step').selectOption('list');
    await waitUntil(
      'the list step distribution',
      async () =>
        (await distribution.getAttribute('data-step')) === 'list' &&
        (await distribution.getAttribute('data-state')) === 'ready',
      5000,
    );
    await distribution.locator('canvas').waitFor();
    assert.equal(await distribution.getByRole('alert').count(), 0);
    await distribution.scrollIntoViewIfNeeded();
    await shot(page, 'distribution');

    // Its seconds, from the store, once it has ended: total, per step, per agent.
    for (const id of ['done-rate-chart', 'done-step-p99-chart', 'done-agent-rate-chart']) {
      const over = page.getByTestId(id);
      await over.locator('canvas').waitFor();
      assert.ok(Number(await over.getAttribute('data-points')) >= 2, `${id} has points`);
    }

    // Reports download from the detail page.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'JSON', exact: true }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `${runId}.json`);
    const report = JSON.parse(readFileSync((await download.path()) as string, 'utf8'));
    assert.equal(report.summary.status, 'aborted');
    assert.equal(report.summary.total.requests, run.summary.total.requests);

    // The runs list shows it; filters narrow it.
    await page.goto(`${site}/runs`);
    await page.getByRole('link', { name: runId }).waitFor();
    await page.getByLabel('Status').selectOption('passed');
    await page.getByText('No run matches these filters.').waitFor();
    await page.getByLabel('Status').selectOption('aborted');
    await page.getByRole('link', { name: runId }).waitFor();
    // Dates: nothing was created tomorrow; today holds the run.
    const day = (offset: number) => {
      const d = new Date(Date.now() + offset * 86_400_000);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    await page.getByLabel('From').fill(day(1));
    await page.getByText('No run matches these filters.').waitFor();
    await page.getByLabel('From').fill(day(0));
    await page.getByLabel('To').fill(day(0));
    await page.getByRole('link', { name: runId }).waitFor();
    await shot(page, 'runs');

    await page.goto(`${site}/agents`);
    await waitUntil(
      'two agents listed',
      async () => (await page.locator('[data-testid=agents-table] tbody tr').count()) === 2,
      5000,
    );
    await shot(page, 'agents');
    await page.goto(`${site}/scenarios`);
    await page.getByRole('link', { name: 'console-e2e' }).waitFor();
    await shot(page, 'scenarios');

    // The dark theme follows the system setting.
    const darkContext = await (browser as Browser).newContext({
      colorScheme: 'dark',
      storageState: await context.storageState(),
    });
    const dark = await darkContext.newPage();
    await dark.goto(`${site}/runs/${runId}`);
    await dark.getByTestId('run-summary').waitFor();
    const background = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(18, 20, 23)');
    await shot(dark, 'run-detail-dark');
    await darkContext.close();
    assert.deepEqual(consoleErrors, []);
    await context.close();
  });

  it('launches from the launch page once control agrees, and says why it would refuse', async () => {
    const put = await fetch(`${api}/environments/outside-e2e`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ allowedHosts: ['10.9.9.9'] }),
    });
    assert.equal(put.status, 200, await put.clone().text());
    const page = await (admin as BrowserContext).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${site}/scenarios`);
    await page.getByRole('link', { name: 'launch…' }).first().click();
    await page.waitForURL(/\/scenarios\/launch\?name=console-e2e/);
    const check = page.getByTestId('launch-check');
    const launch = page.getByRole('button', { name: 'Launch', exact: true });
    await check
      .getByText(/Ready: v\d+ against http:\/\/127\.0\.0\.1:\d+ in environment local/)
      .waitFor();

    // An environment that does not allow the target: refused before anything is created.
    const runsBefore = (await (await fetch(`${api}/runs?limit=500`)).json()).runs.length;
    await page.getByLabel('Environment').selectOption('outside-e2e');
    await page
      .getByTestId('launch-refused')
      .getByText(/not on environment "outside-e2e"'s allowlist/)
      .waitFor();
    assert.equal(await launch.isDisabled(), true);
    await shot(page, 'launch-refused');
    await page.getByLabel('Environment').selectOption('local');
    await page.getByLabel('Duration override').fill('soon');
    await page
      .getByTestId('launch-refused')
      .getByText(/expected a duration like 30s, 1m30s or 500ms, got "soon"/)
      .waitFor();
    assert.equal((await (await fetch(`${api}/runs?limit=500`)).json()).runs.length, runsBefore);

    await page.getByLabel('Duration override').fill('2s');
    await page.getByLabel('Rate multiplier').fill('0.5');
    await check.getByText(/Ready:/).waitFor();
    await shot(page, 'launch');
    await launch.click();
    await page.waitForURL(/\/runs\/run_/);
    const launched = page.url().split('/').at(-1) as string;
    const run = await (await fetch(`${api}/runs/${launched}`)).json();
    assert.equal(run.environment, 'local');
    await page.getByTestId('run-summary').waitFor({ timeout: 30_000 });
    const done = await (await fetch(`${api}/runs/${launched}`)).json();
    // 40/s × 0.5 for 2 s across two agents.
    assert.equal(done.summary.total.requests, 40);

    // A second version, and the diff between the two.
    const stored = await (await fetch(`${api}/scenarios/console-e2e`)).json();
    const saved = await fetch(`${api}/scenarios`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: stored.source.replace('rate: 40', 'rate: 60') }),
    });
    assert.equal(saved.status, 201);
    await page.goto(`${site}/scenarios/diff?name=console-e2e`);
    await page.getByTestId('diff-stats').getByText('+1 −1 lines').waitFor();
    const diff = page.getByTestId('version-diff');
    await diff.locator('tr.diff-removed', { hasText: 'rate: 40' }).waitFor();
    await diff.locator('tr.diff-added', { hasText: 'rate: 60' }).waitFor();
    await shot(page, 'version-diff');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('edits a scenario in the form view, the YAML follows, and feeder rows upload from a file', async () => {
    const page = await (admin as BrowserContext).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${site}/scenarios/edit`);
    const editor = page.locator('.cm-content');
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(`# checkout under load
name: form-e2e
target: ${demo}
agents: 1
load: { rate: 10, duration: 2s }
feeders:
  users: { file: users.csv }
flows:
  - name: browse
    steps:
      - name: detail
        request: { path: "/api/products/\${users.product}" }
thresholds:
  errors: ["rate<0.01"]
`);
    await page.getByTestId('scenario-valid').waitFor();
    await page.getByRole('tab', { name: 'Form' }).click();
    const form = page.getByTestId('scenario-form');
    await form.waitFor();
    assert.equal(await form.getAttribute('data-state'), 'ok');
    await page.getByLabel('Rate (req/s)').fill('20');
    await page.getByRole('button', { name: 'Add guardrail' }).click();
    await page.getByTestId('form-guardrail-row').first().waitFor();
    await shot(page, 'scenario-form');
    await page.getByRole('tab', { name: 'YAML' }).click();
    const yaml = (await editor.textContent()) ?? '';
    assert.match(yaml, /rate: 20/);
    assert.match(yaml, /# checkout under load/, 'comments survive form edits');
    assert.match(yaml, /guardrails:/);
    await shot(page, 'scenario-form-yaml');
    await page.getByTestId('scenario-valid').waitFor({ timeout: 5000 });

    // The feeder's rows come from a file picked here; saving without them is refused.
    const feeders = page.getByTestId('feeder-files');
    await feeders.waitFor();
    await page.getByRole('button', { name: 'Save version' }).click();
    await page
      .getByText(/feeder "users" has no rows/)
      .first()
      .waitFor();
    await feeders.locator('input[type=file]').setInputFiles({
      name: 'users.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('product\n1\n2\n3\n'),
    });
    await feeders.getByText('3 rows (product)').waitFor();
    await page.getByRole('button', { name: 'Save version' }).click();
    await page.getByTestId('saved-note').getByText('Saved form-e2e v1.').waitFor();
    const stored = await (await fetch(`${api}/scenarios/form-e2e`)).json();
    assert.deepEqual(stored.parsed.feederRows.users, [
      { product: '1' },
      { product: '2' },
      { product: '3' },
    ]);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('lists stored replay corpora with their request mix', async () => {
    const log = join(dir, 'access.log');
    const lines = Array.from(
      { length: 30 },
      (_, i) =>
        `10.0.0.${1 + (i % 3)} - - [11/Nov/2026:00:00:${String(i).padStart(2, '0')} +0000] "GET ${i % 3 === 0 ? '/api/products' : `/api/products/${i}`} HTTP/1.1" 200 99 "-" "curl/8"`,
    );
    writeFileSync(log, `${lines.join('\n')}\n`);
    const imported = await cli(['import', log, '--api', api, '--name', 'console-traffic']);
    assert.equal(imported.code, 0, imported.stderr);
    const page = await (admin as BrowserContext).newPage();
    await page.goto(`${site}/corpora`);
    await page
      .getByTestId('corpora-table')
      .getByRole('button', { name: 'console-traffic' })
      .click();
    const mix = page.getByTestId('corpus-mix');
    await mix.getByText('/api/products/{id}').waitFor();
    await mix.getByText('66.7%').waitFor();
    await shot(page, 'corpora');
    await page.close();
  });

  it("creates an environment and shows the API's errors next to the fields", async () => {
    const { page, pageErrors } = await openFromNav(
      admin as BrowserContext,
      site,
      'Environments',
      /\/environments$/,
    );
    await page.getByRole('heading', { name: 'Environments', level: 1 }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('staging-e2e');
    await page.getByLabel('Allowed hosts').fill('127.0.0.1\n*.shop.internal');
    await page.getByLabel('Base URLs').fill('gateway=http://127.0.0.1:8080');
    await page.getByLabel(/Requires shadow/).uncheck();
    await page.getByRole('button', { name: 'Save environment' }).click();
    await page
      .getByTestId('environment-saved')
      .getByText('Saved environment staging-e2e.')
      .waitFor();
    const row = page.getByTestId('environment-staging-e2e');
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /\*\.shop\.internal/);
    assert.match(text, /gateway: http:\/\/127\.0\.0\.1:8080/);
    assert.equal(await row.locator('td').nth(3).textContent(), 'no', 'requires shadow: no');
    const stored = await (await fetch(`${api}/environments`)).json();
    const env = stored.environments.find((e: { name: string }) => e.name === 'staging-e2e');
    assert.deepEqual(env.allowedHosts, ['127.0.0.1', '*.shop.internal']);
    assert.equal(env.requiresShadow, false);

    // A bad allowed-host entry: the 422 problem shows under that field, nothing is saved.
    await page.getByLabel('Name', { exact: true }).fill('broken-e2e');
    await page.getByLabel('Allowed hosts').fill('127.0.0.1\nnot a host!');
    await page.getByLabel('Base URLs').fill('');
    await page.getByRole('button', { name: 'Save environment' }).click();
    const hostErrors = page.getByTestId('error-allowedHosts');
    await hostErrors.getByText(/"not a host!" is not a host name/).waitFor();
    assert.equal(await page.getByLabel('Allowed hosts').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('environment-broken-e2e').count(), 0);
    await shot(page, 'environments');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('compares two finished runs of the same scenario', async () => {
    // A second, short run of the scenario the first test saved (its first run was stopped).
    const created = await fetch(`${api}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scenario: 'console-e2e', overrides: { duration: '2s' } }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const second = (await created.json()).id as string;
    const terminal = ['passed', 'failed', 'aborted', 'degraded', 'error'];
    await waitUntil(
      'the second run finishing',
      async () => terminal.includes((await (await fetch(`${api}/runs/${second}`)).json()).status),
      60_000,
    );
    const { runs } = await (await fetch(`${api}/runs?scenario=console-e2e`)).json();
    const finished = (runs as Array<{ id: string; status: string }>).filter(
      (r) => r.id !== second && terminal.includes(r.status),
    );
    const baseline = finished.at(-1)?.id as string;
    assert.ok(baseline, 'the first run is finished');

    const page = await (admin as BrowserContext).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${site}/runs`);
    const compare = page.getByRole('button', { name: /^Compare/ });
    await page.getByLabel(`Select ${baseline} to compare`).check();
    assert.equal(await compare.isDisabled(), true, 'one run cannot be compared');
    await page.getByLabel(`Select ${second} to compare`).check();
    await compare.click();
    await page.waitForURL(/\/compare\?ids=/);
    assert.equal(new URL(page.url()).searchParams.get('ids'), `${baseline},${second}`);
    const table = page.getByTestId('compare-table');
    await table.waitFor();
    for (const id of [baseline, second]) {
      assert.equal(await table.locator(`tr[data-run="${id}"]`).count(), 2, `${id}: list and total`);
    }
    const listRow = table.locator(`tr[data-run="${second}"]`).first();
    assert.equal(await listRow.locator('th').textContent(), 'list');
    assert.match((await listRow.textContent()) ?? '', /[+−±]\d/, 'deltas against the baseline');
    const chart = page.getByTestId('compare-chart');
    await chart.locator('canvas').waitFor();
    assert.equal(await chart.getAttribute('data-series'), '2');
    // Overlays: both distributions, and both runs over time from their own starts.
    const distribution = page.getByTestId('compare-distribution');
    await distribution.locator('canvas').waitFor();
    assert.equal(await distribution.getAttribute('data-curves'), '2');
    for (const id of ['compare-rate-chart', 'compare-errors-chart', 'compare-p99-chart']) {
      const overlay = page.getByTestId(id);
      await overlay.locator('canvas').waitFor();
      assert.ok(Number(await overlay.getAttribute('data-points')) >= 2, `${id} has points`);
    }
    await shot(page, 'compare');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it("shows an invalid run's saturated generator above its figures", async () => {
    // A target of this test's own, so only the agent is overwhelmed (200,000/s for 2 s).
    const { server, base } = await serveHttp((_req, res) => res.end('ok'));
    try {
      const source = `name: console-flood
target: ${base}
agents: 1
load: { rate: 200000, duration: 2s }
flows: [{ name: f, steps: [{ name: hit, request: { path: / } }] }]
thresholds: { errors: ["rate<1"] }
`;
      const post = (path: string, body: unknown) =>
        fetch(`${api}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      assert.equal((await post('/scenarios', { source })).status, 201);
      const created = await post('/runs', { scenario: 'console-flood' });
      assert.equal(created.status, 201, await created.clone().text());
      const id = (await created.json()).id as string;
      await waitUntil(
        'the flood run ending',
        async () => (await (await fetch(`${api}/runs/${id}`)).json()).status === 'invalid',
        60_000,
      );
      const page = await (admin as BrowserContext).newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      await page.goto(`${site}/runs/${id}`);
      const banner = page.getByTestId('generator-saturated');
      await banner.waitFor();
      assert.match(
        (await banner.textContent()) ?? '',
        /Invalid run: a load generator could not keep up/,
      );
      assert.match((await banner.textContent()) ?? '', /200,000\/s needs about \d+ agents/);
      assert.equal(await page.getByTestId('run-status').first().textContent(), 'invalid');
      assert.match((await page.getByTestId('thresholds').textContent()) ?? '', /\(untrustworthy\)/);
      await shot(page, 'run-invalid');
      assert.deepEqual(pageErrors, []);
      await page.close();
    } finally {
      closeHttp(server);
    }
  });

  it('creates, pauses and removes a schedule', async () => {
    const { page, pageErrors } = await openFromNav(
      admin as BrowserContext,
      site,
      'Schedules',
      /\/schedules$/,
    );
    await page.getByText('No schedule yet').waitFor();
    // The scenario select lists what the first test saved.
    const select = page.getByLabel('Scenario');
    await select.locator('option[value="console-e2e"]').waitFor({ state: 'attached' });
    await select.selectOption('console-e2e');

    // A bad cron: the API's error shows under the field and nothing is created.
    await page.getByLabel('Name', { exact: true }).fill('nightly-e2e');
    await page.getByLabel('Cron').fill('not a cron');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.getByTestId('error-cron').waitFor();
    assert.equal(await page.getByLabel('Cron').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('schedule-nightly-e2e').count(), 0);

    // Far in the future (03:00 on 1 January) so it does not fire during the test.
    await page.getByLabel('Cron').fill('0 3 1 1 *');
    await page.getByLabel('Time zone').fill('Europe/Paris');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    const row = page.getByTestId('schedule-nightly-e2e');
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    assert.match(text, /console-e2e/);
    assert.match(text, /0 3 1 1 \*/);
    assert.match(text, /Europe\/Paris/);
    assert.equal(await row.getByTestId('schedule-state').textContent(), 'active');

    await page.getByRole('button', { name: 'Pause nightly-e2e' }).click();
    await waitUntil(
      'the schedule marked paused',
      async () => (await row.getByTestId('schedule-state').textContent()) === 'paused',
      5000,
    );
    await page.getByRole('button', { name: 'Resume nightly-e2e' }).waitFor();
    const { schedules } = await (await fetch(`${api}/schedules`)).json();
    assert.equal(
      schedules.find((s: { name: string }) => s.name === 'nightly-e2e')?.paused,
      true,
      'paused in control too',
    );
    await shot(page, 'schedules');

    await page.getByRole('button', { name: 'Remove nightly-e2e' }).click();
    await page.getByText('No schedule yet').waitFor();
    assert.equal(await row.count(), 0);
    const remaining = await (await fetch(`${api}/schedules`)).json();
    assert.deepEqual(remaining.schedules, []);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('shows a clear banner, not a blank page, when control does not answer', async () => {
    const port = await freePort();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const orphan = startConsole(port, dead);
    try {
      await waitUntil('a console with no control', async () => {
        return (await fetch(`http://127.0.0.1:${port}/runs`)).ok;
      });
      // A session cookie control never made: the page loads, and its calls find no control.
      const context = await (browser as Browser).newContext();
      await context.addCookies([
        { name: SESSION_COOKIE, value: 'stale', url: `http://127.0.0.1:${port}` },
      ]);
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${port}/runs`);
      const banner = page.getByTestId('control-down');
      await banner.waitFor({ timeout: 10_000 });
      assert.match((await banner.textContent()) ?? '', /Control API unreachable/);
      assert.match((await banner.textContent()) ?? '', new RegExp(dead.replace(/\./g, '\\.')));
      await page.getByRole('heading', { name: 'Runs' }).waitFor();
      await shot(page, 'control-down');
      await context.close();
    } finally {
      await stopChild(orphan);
    }
  });
});
