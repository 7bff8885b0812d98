// The demo mall as a process of its own, for tests and benchmarks that must not share its
// CPU or its fate (a capacity probe's control killed beside it), and a steady stream of
// product reads through its gateway: the live traffic a weight-shift probe moves.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `node main.js` of this package's build. */
export const MALL_MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

export interface MallProcess {
  child: ChildProcess;
  /** the gateway's URL */
  gateway: string;
  /** every instance's base URL, by service, as the banner lists them */
  services: Record<string, string[]>;
  stop(): Promise<void>;
}

/**
 * Starts the mall with `args` (`--port 0` unless given) and resolves once its banner is out;
 * `launch` starts the process (a benchmark pins it to a CPU), by default `node MALL_MAIN`.
 */
export async function spawnDemoMall(
  args: readonly string[],
  launch: (command: string, args: string[]) => ChildProcess = (command, argv) =>
    spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] }),
): Promise<MallProcess> {
  const argv = [MALL_MAIN, ...(args.includes('--port') ? [] : ['--port', '0']), ...args];
  const child = launch(process.execPath, argv);
  let banner = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo mall: no banner in 30 s\n${banner}`)),
      30_000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo mall exited (${code})\n${banner}`));
    });
    child.stdout?.on('data', (d: Buffer) => {
      banner += d.toString();
      if (banner.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const services: Record<string, string[]> = {};
  for (const [, name, urls] of banner.matchAll(
    /^ {2}(\w+)\s+(http:\/\/\S+(?: http:\/\/\S+)*)$/gm,
  )) {
    services[name as string] = (urls as string).split(' ');
  }
  const gateway = services.gateway?.[0];
  if (!gateway) throw new Error(`demo mall: no gateway in its banner\n${banner}`);
  return {
    child,
    gateway,
    services,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * `rate` product reads a second through `gateway`, open loop, for at most `maxMs` (bounded in
 * time and count); stop() ends it and waits for the answers still due.
 */
export function productReads(
  gateway: string,
  rate: number,
  maxMs: number,
): { stop: () => Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= (rate * maxMs) / 1000) return clearInterval(timer);
    const call: Promise<unknown> = fetch(`${gateway}/api/products/${(sent++ % 100) + 1}`)
      .then((r) => r.arrayBuffer())
      .catch(() => undefined)
      .finally(() => pending.delete(call));
    pending.add(call);
  }, 1000 / rate);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}
