import { chromium, type Page } from 'playwright-core';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium as root in a container: no sandbox, no GPU, no calls home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

export interface BrowserOptions {
  /** The Chromium binary (the CLI passes $CHROMIUM_PATH); default /usr/bin/chromium. */
  executablePath?: string;
  /** Give up on the charts after this long (default 10 s). */
  timeoutMs?: number;
}

/** Evaluated in the page (a string: this package is not compiled against the DOM). */
const CHARTS_READY =
  "document.getElementById('loadline-charts') === null || window.__loadlineChartsReady === true";

/** Chromium could not be started or the page never finished: not the plan's fault. */
export class BrowserError extends Error {}

/**
 * Opens `html` in a fresh headless Chromium, waits until its charts have drawn (pages without
 * the report's chart data are ready at load), hands the page to `use`, and always closes.
 */
export async function withReportPage<T>(
  html: string,
  options: BrowserOptions,
  use: (page: Page) => Promise<T>,
): Promise<T> {
  const executablePath = options.executablePath ?? DEFAULT_CHROMIUM;
  const timeout = options.timeoutMs ?? 10_000;
  const browser = await chromium
    .launch({ executablePath, args: CHROMIUM_ARGS, timeout })
    .catch((error: Error) => {
      throw new BrowserError(
        `cannot start Chromium at ${executablePath} (set CHROMIUM_PATH): ${error.message.split('\n')[0]}`,
      );
    });
  try {
    const page = await browser.newPage();
    // The page is self-contained: anything it tries to fetch is a bug, not a slow network.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load', timeout });
    await page.waitForFunction(CHARTS_READY, undefined, { timeout }).catch(() => {
      throw new BrowserError(`the report's charts did not draw within ${timeout} ms`);
    });
    return await use(page);
  } finally {
    await browser.close();
  }
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
