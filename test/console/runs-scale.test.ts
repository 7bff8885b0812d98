// The runs list with 1,000 stored runs renders in under a second: paging is the server's
// (keyset pagination in the metadata store), so the page holds 25 rows however many runs
// there are. The runs are written straight into an embedded metadata store that control
// then opens, the way a long-lived installation looks after months of nightly runs.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Control, configFromEnv } from '@loadline/control';
import { MetadataStore } from '@loadline/metadata';
import type { Browser } from 'playwright-core';
import {
  browserSkipReason,
  freePort,
  launchChromium,
  signedInContext,
  startConsole,
  stopChild,
  waitUntil,
} from '../support.js';

const RUNS = 1000;
const ADMIN_PASSWORD = 'scale-admin-password';
const skip = browserSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'loadline-scale-'));
const namespace = `loadline-e2e-${randomUUID().slice(0, 8)}`;

let control: Control | undefined;
let web: ChildProcess | undefined;
let browser: Browser | undefined;
let site = '';

const latency = (p99: number) => ({ min: 1, mean: 5, p50: 4, p90: 9, p99, p999: p99 * 2, max: 80 });

async function seed(): Promise<void> {
  const metadata = await MetadataStore.open({ dataDir: join(dir, 'pg') });
  await metadata.migrate();
  await metadata.upsertEnvironment({ name: 'local', allowedHosts: ['127.0.0.0/8'] });
  const source =
    'name: nightly\ntarget: http://127.0.0.1:9\nload: { rate: 1, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]\n';
  await metadata.saveScenarioVersion('nightly', source, { scenario: {}, feederRows: {} });
  for (let i = 0; i < RUNS; i++) {
    const run = await metadata.createRun({ scenario: 'nightly', environment: 'local', agents: 1 });
    await metadata.transitionRun(run.id, ['queued'], 'waiting-for-agents');
    await metadata.transitionRun(run.id, ['waiting-for-agents'], 'running');
    const passed = i % 7 !== 0;
    await metadata.transitionRun(run.id, ['running'], passed ? 'passed' : 'failed', {
      summary: {
        status: passed ? 'passed' : 'failed',
        passed,
        durationS: 60,
        agents: 1,
        total: {
          requests: 60_000 + i,
          errors: passed ? 0 : 120,
          latencyMs: latency(20 + (i % 50)),
        },
        steps: {},
        thresholds: [],
      },
    });
  }
  await metadata.close();
}

describe(`the runs list with ${RUNS} stored runs`, { skip, timeout: 240_000 }, () => {
  before(async () => {
    await seed();
    control = await Control.start(
      configFromEnv(
        {},
        {
          port: 0,
          dataDir: dir,
          redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          namespace,
          adminPassword: ADMIN_PASSWORD,
        },
      ),
    );
    const port = await freePort();
    site = `http://127.0.0.1:${port}`;
    web = startConsole(port, control.url);
    browser = await launchChromium();
    await waitUntil(
      'the console',
      async () => (await fetch(`${site}/api/control/health`)).ok,
      60_000,
    );
  });

  after(async () => {
    await browser?.close();
    await stopChild(web);
    await control?.close();
  });

  it('renders the first page in under a second, and pages on', async (t) => {
    const context = await signedInContext(browser as Browser, site, 'admin', ADMIN_PASSWORD);
    const page = await context.newPage();
    const rows = page.getByTestId('runs-table').locator('tbody tr');
    // Warm: the first visit loads the page's code; what a user waits for after that is data.
    await page.goto(`${site}/runs`);
    await rows.first().waitFor();
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      await page.goto(`${site}/runs`);
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid="runs-table"] tbody tr').length === 25,
      );
      timings.push(Date.now() - started);
    }
    t.diagnostic(`first page of ${RUNS} runs rendered in ${timings.join(', ')} ms`);
    assert.ok(Math.min(...timings) < 1000, `rendered in ${timings.join(', ')} ms`);
    assert.equal(await rows.count(), 25);

    // Page 40 is the last: keyset paging walks there without loading the other 975.
    const firstId = await rows.first().locator('a').first().textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.waitForFunction(
      (id) => document.querySelector('[data-testid="runs-table"] tbody tr a')?.textContent !== id,
      firstId,
    );
    assert.equal(await rows.count(), 25);
    await page.getByText('Page 2, newest first').waitFor();

    // The status filter is server-side too: every 7th run failed.
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('Page 1, newest first').waitFor();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="runs-table"] [data-testid="run-status"]')].every(
        (el) => el.textContent === 'failed',
      ),
    );
    await context.close();
  });
});
