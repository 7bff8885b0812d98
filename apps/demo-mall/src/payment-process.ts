/**
 * Starts one payment instance as a child process under the zero-code shadow preload
 * (`node --import @loadline/shadow/register payment-main.js`), configured only through
 * the LOADLINE_* environment. Resolves with its URL once it listens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface PaymentProcessOptions {
  instance: number;
  host: string;
  port: number;
  failureRate: number;
  costMs: number;
  redisUrl: string | null;
  redisPrefix: string;
  /** LOADLINE_SHADOW_SECRET, LOADLINE_CONTROL_URL, … for the preload */
  shadowEnv: Record<string, string>;
  log: (line: string) => void;
}

export interface PaymentProcess {
  url: string;
  pid: number | undefined;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
// Under tsx (tests) this file is .ts and so is the entry; built, both are .js.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = fileURLToPath(
  new URL(`./payment-main.${FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url),
);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

function args(o: PaymentProcessOptions): string[] {
  return [
    ...(FROM_SOURCE ? ['--import', 'tsx'] : []),
    '--import',
    '@loadline/shadow/register',
    ENTRY,
    `--instance=${o.instance}`,
    `--host=${o.host}`,
    `--port=${o.port}`,
    `--failure-rate=${o.failureRate}`,
    `--cost-ms=${o.costMs}`,
    `--redis-prefix=${o.redisPrefix}`,
  ];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('close', () => resolve()));
}

export function startPaymentProcess(options: PaymentProcessOptions): Promise<PaymentProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.shadowEnv };
  // Through the environment, not argv: `ps` shows argv to everyone.
  if (options.redisUrl === null) delete env.DEMO_PAYMENT_REDIS_URL;
  else env.DEMO_PAYMENT_REDIS_URL = options.redisUrl;
  if (options.shadowEnv.LOADLINE_CONTROL_URL === undefined) delete env.LOADLINE_CONTROL_URL;
  // The bare specifier resolves from the working directory, as it would for a user.
  const child = spawn(process.execPath, args(options), {
    cwd: PACKAGE_DIR,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
    for (const line of chunk.split('\n')) if (line.trim()) options.log(`payment: ${line}`);
  });
  let closing = false;
  const close = async () => {
    closing = true;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => fail(`not listening within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    const fail = (why: string) => {
      clearTimeout(timer);
      void close();
      reject(new Error(`payment ${options.instance} (zero-code process): ${why}\n${tail}`));
    };
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal}) before listening`));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      // Whole lines only: a chunk can end in the middle of the announcement.
      const complete = out.slice(0, out.lastIndexOf('\n') + 1).split('\n');
      let url: string | undefined;
      for (const line of complete) {
        if (!line.startsWith('{')) continue;
        try {
          url = (JSON.parse(line) as { url?: string }).url;
        } catch {
          // not the announcement
        }
        if (url) break;
      }
      if (!url) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      // After it started, a crash must still be said (the gateway would call a dead port).
      child.once('exit', (code, signal) => {
        if (!closing) options.log(`payment ${options.instance}: exited (${code ?? signal})`);
      });
      resolve({ url, pid: child.pid, close });
    });
  });
}
