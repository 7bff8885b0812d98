// Helpers shared by the end-to-end tests: free ports, the `loadline` CLI as a child
// process, and a whole `loadline up` stack that fails fast, with its own output, when it
// dies instead of leaving a test to wait for an exit that already happened.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { watchControl } from './contract.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Each test file (a process of its own) keeps `loadline login` credentials in a home of its
// own: `loadline up` writes its admin token there, and every `loadline` the file runs finds it.
process.env.XDG_CONFIG_HOME = mkdtempSync(join(tmpdir(), 'loadline-e2e-home-'));

/** The API token stored for `api` (what `loadline up` or `login` wrote), or undefined. */
export function storedToken(api: string): string | undefined {
  try {
    const file = JSON.parse(
      readFileSync(
        join(process.env.XDG_CONFIG_HOME as string, 'loadline', 'credentials.json'),
        'utf8',
      ),
    ) as { apis: Record<string, { token: string }> };
    return file.apis[new URL(api).origin]?.token;
  } catch {
    return undefined;
  }
}
export const loadline = join(root, 'node_modules', '.bin', 'loadline');
export const consoleDir = join(root, 'apps', 'console');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags for Debian's Chromium here: as root, no GPU, no calls home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

/** Why the browser tests cannot run here, or false when they can. */
export function browserSkipReason(): string | false {
  if (!existsSync(CHROMIUM))
    return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (!existsSync(join(consoleDir, '.next', 'BUILD_ID')))
    return 'the console is not built (npm run build)';
  return false;
}

/** Headless Chromium with CHROMIUM_ARGS; playwright-core loads only for the browser tests. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** The console's session cookie (HttpOnly, SameSite=Strict), as control names it. */
export const SESSION_COOKIE = 'loadline_session';

/**
 * Signs `page` in through the console's sign-in page as `user`, coming back to `next`, and
 * waits until it is there (a refused sign-in fails with the page's message).
 */
export async function signIn(
  page: Page,
  site: string,
  user: string,
  password: string,
  next = '/runs',
): Promise<void> {
  await page.goto(`${site}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('User name', { exact: true }).fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  // The landing page names who signed in; a refused sign-in stays and says why.
  const refusal = page.getByTestId('sign-in-error');
  await page.getByTestId('account-name').or(refusal).waitFor();
  if (await refusal.isVisible()) {
    throw new Error(`sign-in as ${user} refused: ${await refusal.textContent()}`);
  }
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, next);
  await page.getByTestId('account-name').getByText(user, { exact: true }).waitFor();
}

/** A 1280×900 browser context signed in as `user`: every page of it shares the session. */
export async function signedInContext(
  browser: Browser,
  site: string,
  user: string,
  password: string,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  await signIn(page, site, user, password);
  await page.close();
  return context;
}

/**
 * A new page of a signed-in `context` that opens /runs on `site` and follows the main
 * navigation's `link` until the URL matches `path`; `pageErrors` collects its uncaught errors.
 */
export async function openFromNav(
  context: BrowserContext,
  site: string,
  link: string,
  path: RegExp,
): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(`${site}/runs`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
  await page.waitForURL(path);
  return { page, pageErrors };
}

/** The built console (`next start`) on 127.0.0.1:port, talking to control at `api`. */
export function startConsole(port: number, api: string): ChildProcess {
  const next = join(root, 'node_modules', '.bin', 'next');
  const child = spawn(next, ['start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: consoleDir,
    env: { ...process.env, LOADLINE_API: api, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/** An HTTP server on 127.0.0.1, port 0; `base` is its URL. */
export async function serveHttp(
  handler: http.RequestListener,
): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

/** POSTs `body` as JSON to `base` + `path`: the status and the parsed reply. */
export async function postJson(base: string, path: string, body: unknown) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** Closes a server from serveHttp, dropping its kept-alive connections. */
export function closeHttp(server: http.Server): void {
  server.closeAllConnections();
  server.close();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `loadline ARGS` to completion. */
export function cli(
  args: string[],
  options: {
    onStart?: (child: ChildProcess) => void;
    env?: NodeJS.ProcessEnv;
    /** written to its standard input (a password for --password-stdin, a secret's value) */
    input?: string;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(loadline, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    options.onStart?.(child);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function waitUntil(
  what: string,
  ok: () => Promise<boolean>,
  options: number | { timeoutMs?: number; abortIf?: () => string | undefined } = {},
): Promise<void> {
  if (typeof options === 'number') options = { timeoutMs: options };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const abort = options.abortIf?.();
    if (abort) throw new Error(`${what}: ${abort}`);
    if (await ok().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Stops a child and waits for it, at once when it has already gone. */
export async function stopChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 15_000,
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

interface StartOptions {
  agents?: number;
  /** on the ports of its last start (a restart clients reconnect to) */
  samePorts?: boolean;
  waitForConsole?: boolean;
  /** variables for `loadline up` (and the console it starts), once the ports are known */
  env?: (stack: UpStack) => Record<string, string>;
}

/** A `loadline up` stack on free ports, its own Redis namespace and data directory. */
export class UpStack {
  readonly namespace = `loadline-e2e-${randomUUID().slice(0, 8)}`;
  api = '';
  demo = '';
  site = '';
  private child: ChildProcess | undefined;
  private output = '';
  private password: string | undefined;
  /** it has been up once (its data directory holds what a test made) */
  private started = false;

  constructor(private readonly dataDir: string) {}

  /**
   * Starts the stack and waits until `agents` agents report in (and the console answers).
   * A free port another process took in between is tried again, on new ports (and, on a
   * first start, a new data directory: the first admin's password is printed only once).
   */
  async start(options: StartOptions = {}): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#startOnce(options);
        this.started = true;
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (attempt >= 3 || !/port \d+ is in use/.test(message)) throw error;
        await stopChild(this.child);
        if (!this.started) rmSync(this.dataDir, { recursive: true, force: true });
        this.output = '';
        this.password = undefined;
      }
    }
  }

  async #startOnce(options: StartOptions): Promise<void> {
    const agents = options.agents ?? 2;
    const [apiPort, demoPort, consolePort] =
      options.samePorts && this.api
        ? [this.api, this.demo, this.site].map((url) => Number(new URL(url).port))
        : [await freePort(), await freePort(), await freePort()];
    this.api = `http://127.0.0.1:${apiPort}`;
    this.demo = `http://127.0.0.1:${demoPort}`;
    this.site = `http://127.0.0.1:${consolePort}`;
    watchControl(this.api, '', () => storedToken(this.api));
    watchControl(this.site, '/api/control');
    const child = spawn(
      loadline,
      [
        'up',
        '--agents',
        String(agents),
        '--port',
        String(apiPort),
        '--demo-port',
        String(demoPort),
        '--console-port',
        String(consolePort),
        '--data',
        this.dataDir,
        '--namespace',
        this.namespace,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...options.env?.(this) },
        // Its own process group: kill() takes the whole stack down at once, as a host dies.
        detached: true,
      },
    );
    this.child = child;
    const keep = (d: Buffer) => {
      // The tail is enough to say why a stack died; the whole log can grow for minutes.
      this.output = (this.output + d.toString()).slice(-20_000);
      this.password ??= /user admin, password (\S+)/.exec(this.output)?.[1];
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const died = () =>
      child.exitCode !== null || child.signalCode !== null
        ? `loadline up exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${this.output}`
        : undefined;
    const waits = [
      waitUntil(
        `loadline up with ${agents} agents`,
        async () => {
          const body = (await (await fetch(`${this.api}/agents`)).json()) as { agents: unknown[] };
          // At least: agents started apart from it (other hosts, in a test) count too.
          return body.agents.length >= agents;
        },
        { timeoutMs: 60_000, abortIf: died },
      ),
    ];
    if (options.waitForConsole)
      waits.push(
        waitUntil(
          'the console proxying to control',
          async () => (await fetch(`${this.site}/api/control/health`)).ok,
          { timeoutMs: 60_000, abortIf: died },
        ),
      );
    try {
      await Promise.all(waits);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(message.includes('exited') ? message : `${message}\n${this.output}`);
    }
  }

  get log(): string {
    return this.output;
  }

  /** The admin token `loadline up` stored for this machine's CLI. */
  get token(): string {
    const token = storedToken(this.api);
    if (!token) throw new Error(`no token stored for ${this.api}`);
    return token;
  }

  /** The first admin's password, as `loadline up` printed it on its first start. */
  get adminPassword(): string {
    if (!this.password) throw new Error('loadline up printed no admin password');
    return this.password;
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGINT');
  }

  /**
   * Kills `loadline up` and what it started (its console, its agents) outright, kill -9:
   * nothing of it gets to clean up, as when its host dies.
   */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
  }
}

/**
 * The demo mall's two entry flows as scenario YAML (the `flows:` key and its list): browse
 * (list, then detail) and buy (add to cart, then order, as the same new user). Each flow's
 * first step is its entry request kind; the capacity tests know the calls each one makes.
 */
/**
 * Calls per entry request, as the demo mall's code makes them: per `list` (browse: list,
 * then detail) and per `add` (buy: add to cart, then order), each flow's first step.
 */
export const MALL_CALL_RATIOS: Record<string, { list: number; add: number }> = {
  gateway: { list: 2, add: 2 },
  catalog: { list: 2, add: 1 },
  cart: { list: 0, add: 3 },
  inventory: { list: 0, add: 1 },
  payment: { list: 0, add: 1 },
  order: { list: 0, add: 1 },
};

export function mallEntryFlows(weights: { browse: number; buy: number } = { browse: 1, buy: 1 }) {
  return `flows:
  - name: browse
    weight: ${weights.browse}
    steps:
      - { name: list, request: { path: "/api/products?page=\${random(1,20)}" }, check: { status: 200 } }
      - { name: detail, request: { path: "/api/products/\${random(1,1000)}" }, check: { status: 200 } }
  - name: buy
    weight: ${weights.buy}
    steps:
      - name: add
        request:
          method: POST
          path: /api/cart
          json: { userId: "\${uuid()}", productId: "\${random(1,1000)}", qty: 1 }
        extract: { user: "json $.userId" }
        check: { status: 200 }
      - name: order
        request: { method: POST, path: /api/orders, json: { userId: "\${user}" } }
        check: { status: 201 }
`;
}
