// Separate hosts on one machine: network namespaces joined by veth pairs to a bridge in the
// root namespace. Each host has its own address, its own loopback and its own sockets; what
// runs in it reaches the root namespace (control, Redis, a target) only across the bridge,
// as another machine on the LAN would. Needs root and iproute2.
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';

const IP = '/usr/sbin/ip';

function ip(...args: string[]): void {
  execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why hosts cannot be made here (not root, no iproute2, namespaces refused), or false. */
export function netnsSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (!existsSync(IP)) return `no ${IP} (Debian's iproute2)`;
  const probe = `ll-probe-${randomBytes(3).toString('hex')}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return false;
  } catch (error) {
    return `cannot make a network namespace: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** libfaketime, which makes a process's wall clock run ahead or behind (Debian's faketime). */
export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

export interface TestHost {
  name: string;
  /** the namespace the host's processes run in */
  netns: string;
  address: string;
}

/**
 * A LAN of `hosts` namespaces on 10.X.Y.0/24 (X.Y random: two test runs at once do not
 * meet), the root namespace at .1 on the bridge. Every name carries a random suffix and
 * `close()` removes all of it (a namespace's veth end goes with it).
 */
export class TestNetwork {
  readonly hosts: TestHost[] = [];
  readonly #bridge: string;
  readonly #children = new Set<ChildProcess>();

  private constructor(
    readonly gateway: string,
    bridge: string,
  ) {
    this.#bridge = bridge;
  }

  static create(hostCount: number): TestNetwork {
    const id = randomBytes(2).toString('hex');
    const [x, y] = [200 + ((randomBytes(1)[0] as number) % 50), randomBytes(1)[0] as number];
    const prefix = `10.${x}.${y}`;
    const network = new TestNetwork(`${prefix}.1`, `llbr${id}`);
    try {
      ip('link', 'add', network.#bridge, 'type', 'bridge');
      ip('addr', 'add', `${network.gateway}/24`, 'dev', network.#bridge);
      ip('link', 'set', network.#bridge, 'up');
      for (let i = 1; i <= hostCount; i++) {
        const host = { name: `host${i}`, netns: `ll-${id}-h${i}`, address: `${prefix}.${10 + i}` };
        const [outside, inside] = [`llv${id}h${i}`, `llv${id}n${i}`];
        ip('netns', 'add', host.netns);
        network.hosts.push(host);
        ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
        ip('link', 'set', inside, 'netns', host.netns);
        ip('link', 'set', outside, 'master', network.#bridge);
        ip('link', 'set', outside, 'up');
        ip('-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', inside);
        ip('-n', host.netns, 'link', 'set', inside, 'up');
        ip('-n', host.netns, 'link', 'set', 'lo', 'up');
      }
    } catch (error) {
      network.close();
      throw error;
    }
    return network;
  }

  /** Starts `command` on `host` (inside its namespace); close() kills what is still running. */
  spawn(host: TestHost, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(IP, ['netns', 'exec', host.netns, command, ...args], options);
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  close(): void {
    for (const child of this.#children) child.kill('SIGKILL');
    for (const host of this.hosts) {
      try {
        // Killing what is left in it first: a namespace with processes lingers unnamed.
        execFileSync(IP, ['netns', 'pids', host.netns])
          .toString()
          .split(/\s+/)
          .filter(Boolean)
          .forEach((pid) => {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {}
          });
        ip('netns', 'del', host.netns);
      } catch {}
    }
    try {
      ip('link', 'del', this.#bridge);
    } catch {}
  }
}
