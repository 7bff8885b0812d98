import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { samplePlan } from '@loadline/capacity/testing';
import { chromium } from 'playwright-core';
import {
  BrowserBusyError,
  BrowserPool,
  closeReportBrowsers,
  DEFAULT_CHROMIUM,
  MAX_CONCURRENT_RENDERS,
  MAX_WAITING_RENDERS,
  sandboxed,
} from './browser-pool.js';
import { planToHtml } from './html.js';
import { planToPdf, withReportPage } from './pdf.js';

const executablePath = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
const skip = existsSync(executablePath)
  ? false
  : `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`;

/** Browser processes this process started: its Chromium children (renderers are theirs). */
function chromiumChildren(): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === process.pid && /chrom/i.test(command.split('\0')[0] ?? '')) count++;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

after(() => closeReportBrowsers());

describe('the report page in Chromium', { skip }, () => {
  it('draws a chart per service: the measured points, the USL fit and the SLO line', async () => {
    const { model, plan } = await samplePlan();
    const drawn = await withReportPage(planToHtml(plan, model), { executablePath }, (page) =>
      page.evaluate(`[...document.querySelectorAll('.chart')].map((c) => ({
        canvases: c.querySelectorAll('canvas').length,
        width: c.querySelector('canvas')?.width ?? 0,
        legend: [...c.querySelectorAll('.u-legend .u-label')].map((l) => l.textContent),
        title: c.querySelector('.u-title')?.textContent,
      }))`),
    );
    const charts = drawn as { canvases: number; width: number; legend: string[]; title: string }[];
    assert.equal(charts.length, 2);
    for (const chart of charts) {
      assert.ok(chart.canvases >= 1 && chart.width > 0, JSON.stringify(chart));
      const legend = chart.legend.filter((l) => l !== 'N');
      assert.deepEqual(legend.slice(0, 2), ['measured', 'USL fit']);
      assert.match(legend[2]!, /^SLO limit \(p99 breached at \d+ QPS\)$/);
    }
    assert.match(charts[0]!.title, /^cart: /);
  });

  it('prints the page to a PDF of at least one page', async () => {
    const { model, plan } = await samplePlan();
    const started = Date.now();
    const pdf = await planToPdf(planToHtml(plan, model), { executablePath });
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
    assert.ok(pages.length >= 1, `${pages.length} pages`);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });
});

describe('rendering PDFs from untrusted pages', { skip }, () => {
  it('renders six at once in one shared browser, refuses a seventh as busy, closes when idle', async () => {
    assert.equal(MAX_CONCURRENT_RENDERS + MAX_WAITING_RENDERS, 6);
    const html = '<!doctype html><title>t</title><p>plan</p>';
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, chromiumChildren());
    }, 25);
    const results = await Promise.allSettled(
      Array.from({ length: 7 }, () => planToPdf(html, { executablePath })),
    );
    clearInterval(sampler);
    most = Math.max(most, chromiumChildren());
    const done = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(done.length, 6, JSON.stringify(refused.map((r) => String(r.reason))));
    for (const r of done) assert.equal(r.value.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal(refused.length, 1);
    const busy = refused[0]!.reason as BrowserBusyError;
    assert.ok(busy instanceof BrowserBusyError, String(busy));
    assert.equal(busy.retryAfterSeconds, 5);
    assert.equal(most, 1, 'one Chromium for every render');
    assert.equal(chromiumChildren(), 1, 'kept for the next render');
    await closeReportBrowsers();
    assert.equal(chromiumChildren(), 0);

    const pool = new BrowserPool(executablePath, { maxConcurrent: 1, maxWaiting: 0, idleMs: 200 });
    await pool.run(10_000, async (browser) => assert.ok(browser.isConnected()));
    assert.equal(chromiumChildren(), 1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(chromiumChildren(), 0, 'closed after idling');
  });

  it("runs none of the page's own script and lets it reach no server", async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const hostile = `<!doctype html><html><head>
<link rel="stylesheet" href="${origin}/style.css">
<link rel="prefetch" href="${origin}/prefetch">
<link rel="preconnect" href="${origin}">
<style>body { background: url(${origin}/background.png) }
@font-face { font-family: x; src: url(${origin}/font.woff) } p { font-family: x }</style>
<script src="${origin}/script.js"></script>
</head><body><p>plan</p>
<img src="${origin}/image.png"><iframe src="${origin}/frame"></iframe>
<object data="${origin}/object"></object><video poster="${origin}/poster.png"></video>
<form id="f" action="${origin}/form" method="post"></form>
<script>document.title = 'script ran';
fetch('${origin}/fetch'); new WebSocket('${origin.replace('http', 'ws')}/ws');
navigator.sendBeacon('${origin}/beacon'); document.getElementById('f').submit();</script>
</body></html>`;
    try {
      // The page does try: opened in a plain Chromium, the server hears from it.
      const plain = await chromium.launch({
        executablePath,
        args: ['--headless', '--disable-gpu'],
        chromiumSandbox: sandboxed(),
      });
      try {
        const page = await plain.newPage();
        await page.setContent(hostile, { waitUntil: 'load' }).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 300));
      } finally {
        await plain.close();
      }
      assert.ok(connections > 0, 'the unprotected page reaches the server');

      connections = 0;
      const title = await withReportPage(hostile, { executablePath }, (page) => page.title());
      const pdf = await planToPdf(hostile, { executablePath });
      // A page that navigates away would print Chromium's error page: refused instead.
      const leaving = hostile.replace(
        '<head>',
        `<head><meta http-equiv="refresh" content="0;url=${origin}/refresh">`,
      );
      await assert.rejects(planToPdf(leaving, { executablePath }), /tried to leave itself/);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(title, '', 'its script never ran (it sets the title)');
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.equal(connections, 0);
    } finally {
      server.close();
    }
  });
});
