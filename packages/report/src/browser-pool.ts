// One headless Chromium per executable, shared by every PDF rendered in this process: a
// browser costs ~150 MB and a second to start, and a report request must not be able to
// start one of its own. At most MAX_CONCURRENT_RENDERS render at once and MAX_WAITING_RENDERS
// wait; past that a render is refused at once (BrowserBusyError), which control answers with
// 503 and Retry-After. The browser is closed after BROWSER_IDLE_MS without a render.
import { type Browser, chromium } from 'playwright-core';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const MAX_CONCURRENT_RENDERS = 2;
export const MAX_WAITING_RENDERS = 4;
export const BROWSER_IDLE_MS = 30_000;
/** What a refused caller is told to wait: about one render. */
export const BUSY_RETRY_AFTER_SECONDS = 5;

/**
 * Headless, no GPU, no calls home, and no host resolves (IP addresses included): the page is
 * served by request interception, and a connection Chromium opens on its own ahead of a
 * request (it does for an iframe, before the request is intercepted) fails before it starts.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--host-resolver-rules=MAP * ~NOTFOUND',
];

/**
 * Chromium's sandbox cannot start as root (in a container): only then is it off. Either way
 * the page runs nothing but the report's own scripts (see withReportPage).
 */
export const sandboxed = () => process.getuid?.() !== 0;

/** Chromium could not be started or the page never finished: not the plan's fault. */
export class BrowserError extends Error {}

/** Every render slot is taken and the wait queue is full: try again later. */
export class BrowserBusyError extends BrowserError {
  readonly retryAfterSeconds = BUSY_RETRY_AFTER_SECONDS;

  constructor(running: number, waiting: number) {
    super(
      `the report renderer is busy (${running} rendering, ${waiting} waiting); retry in ${BUSY_RETRY_AFTER_SECONDS} s`,
    );
    this.name = 'BrowserBusyError';
  }
}

export interface PoolLimits {
  maxConcurrent: number;
  maxWaiting: number;
  idleMs: number;
}

export class BrowserPool {
  private browser: Promise<Browser> | undefined;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly executablePath: string,
    private readonly limits: PoolLimits = {
      maxConcurrent: MAX_CONCURRENT_RENDERS,
      maxWaiting: MAX_WAITING_RENDERS,
      idleMs: BROWSER_IDLE_MS,
    },
  ) {}

  /** Runs `use` with the shared browser once a slot is free; BrowserBusyError if none will be. */
  async run<T>(launchTimeoutMs: number, use: (browser: Browser) => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await use(await this.launched(launchTimeoutMs));
    } finally {
      this.release();
    }
  }

  /** Closes the browser now (a CLI that is done, a test); the next render starts another. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const browser = this.browser;
    this.browser = undefined;
    await (await browser?.catch(() => undefined))?.close();
  }

  private acquire(): Promise<void> {
    clearTimeout(this.idleTimer);
    if (this.running < this.limits.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.maxWaiting) {
      return Promise.reject(new BrowserBusyError(this.running, this.waiting.length));
    }
    // A finishing render hands its slot straight to the first waiting one.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
      return;
    }
    this.running--;
    if (this.running === 0) {
      this.idleTimer = setTimeout(() => void this.close(), this.limits.idleMs);
      this.idleTimer.unref();
    }
  }

  private launched(timeout: number): Promise<Browser> {
    if (this.browser) return this.browser;
    const { executablePath } = this;
    const launching = chromium
      .launch({ executablePath, args: CHROMIUM_ARGS, timeout, chromiumSandbox: sandboxed() })
      .then(
        (browser) => {
          // A crashed browser is started again by the next render.
          browser.on('disconnected', () => {
            if (this.browser === launching) this.browser = undefined;
          });
          return browser;
        },
        (error: Error) => {
          if (this.browser === launching) this.browser = undefined;
          throw new BrowserError(
            `cannot start Chromium at ${executablePath} (set CHROMIUM_PATH): ${error.message.split('\n')[0]}`,
          );
        },
      );
    this.browser = launching;
    return launching;
  }
}

const pools = new Map<string, BrowserPool>();

/** The process's pool for `executablePath`. */
export function browserPool(executablePath = DEFAULT_CHROMIUM): BrowserPool {
  let pool = pools.get(executablePath);
  if (!pool) {
    pool = new BrowserPool(executablePath);
    pools.set(executablePath, pool);
  }
  return pool;
}

/** Closes every shared browser: for a process that is done rendering. */
export async function closeReportBrowsers(): Promise<void> {
  await Promise.all([...pools.values()].map((pool) => pool.close()));
}
