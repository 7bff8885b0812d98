import type { Page, Route } from 'playwright-core';
import { BrowserError, browserPool, DEFAULT_CHROMIUM } from './browser-pool.js';
import { reportContentSecurityPolicy } from './html.js';

export interface BrowserOptions {
  /** The Chromium binary (the CLI passes $CHROMIUM_PATH); default /usr/bin/chromium. */
  executablePath?: string;
  /** Give up on the charts after this long (default 10 s). */
  timeoutMs?: number;
}

/** Evaluated in the page (a string: this package is not compiled against the DOM). */
const CHARTS_READY =
  "document.getElementById('loadline-charts') === null || window.__loadlineChartsReady === true";

/** Where the page is served from: only by the route below, never over a network. */
const REPORT_URL = 'http://loadline-report.invalid/';

/**
 * Opens `html` in a page of the shared headless Chromium (see browser-pool.ts), waits until
 * its charts have drawn (pages without the report's chart data are ready at load), hands the
 * page to `use`, and always closes the page's context. The page is served with the report's
 * Content-Security-Policy (no script but the report's own, nothing fetched), and every
 * request but the page's own is aborted before it leaves the browser, service workers too.
 */
export async function withReportPage<T>(
  html: string,
  options: BrowserOptions,
  use: (page: Page) => Promise<T>,
): Promise<T> {
  const timeout = options.timeoutMs ?? 10_000;
  const policy = reportContentSecurityPolicy();
  return browserPool(options.executablePath ?? DEFAULT_CHROMIUM).run(timeout, async (browser) => {
    const context = await browser.newContext({
      serviceWorkers: 'block',
      acceptDownloads: false,
      permissions: [],
    });
    try {
      let served = false;
      let leaving: string | undefined;
      await context.route('**/*', (route: Route) => {
        const request = route.request();
        // The report once, as the first navigation; anything else (a redirect back to it
        // included) is aborted. A page that tries to go elsewhere (a meta refresh) would
        // print Chromium's error page: that is refused below, never printed.
        if (!served && request.url() === REPORT_URL) {
          served = true;
          return route.fulfill({
            status: 200,
            contentType: 'text/html; charset=utf-8',
            headers: { 'content-security-policy': policy },
            body: html,
          });
        }
        if (served && request.isNavigationRequest() && request.frame().parentFrame() === null) {
          leaving ??= request.url();
        }
        return route.abort('blockedbyclient');
      });
      const stayed = () => {
        if (leaving !== undefined) {
          throw new BrowserError(
            `the report page tried to leave itself (for ${leaving.slice(0, 100)}); nothing was rendered`,
          );
        }
      };
      const page = await context.newPage();
      await page.goto(REPORT_URL, { waitUntil: 'load', timeout });
      await page.waitForFunction(CHARTS_READY, undefined, { timeout }).catch(() => {
        throw new BrowserError(`the report's charts did not draw within ${timeout} ms`);
      });
      stayed();
      const result = await use(page);
      stayed();
      return result;
    } finally {
      await context.close();
    }
  });
}

/** The report page printed to A4 PDF by Chromium, once its charts have drawn. */
export async function planToPdf(html: string, options: BrowserOptions = {}): Promise<Buffer> {
  return withReportPage(html, options, async (page) =>
    Buffer.from(
      await page.pdf({
        format: 'A4',
        landscape: true,
        printBackground: true,
        margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' },
      }),
    ),
  );
}
