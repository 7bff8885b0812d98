// Child processes for the benchmarks: CPU pinning with taskset, a hard time limit on every
// run, and one registry so that every child is killed when the harness exits or fails.
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const children = new Set();
const cleanups = [];

const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0;

/** CPU for the target (server) and for the load generator; null when pinning is off. */
export const pinning =
  hasTaskset && availableParallelism() >= 2 ? { target: '0', tool: '1' } : null;

/** Prefixes `command args` with `taskset -c <cpu>` when pinning is available. */
export function pinned(role, command, args) {
  if (!pinning) return [command, args];
  // a role ('target', 'tool'), or a CPU list of taskset's ('0,1')
  return ['taskset', ['-c', pinning[role] ?? role, command, ...args]];
}

/** Registers a function to run (synchronously) when the harness exits. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** Starts a pinned child process that is killed when the harness exits. */
export function start(role, command, args, options = {}) {
  const [cmd, argv] = pinned(role, command, args);
  // taskset execs the command, so child.pid is the pid of the command itself.
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('error', () => children.delete(child));
  return child;
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export function stop(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null || !children.has(child)) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Runs a pinned command to completion within `timeoutMs` and resolves to
 * `{ code, signal, stdout, stderr, pid }`; `onStart(child)` is called once it is spawned.
 */
export function run(role, command, args, { timeoutMs, onStart, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const child = start(role, command, args, options);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      stop(child);
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${command} did not finish within ${timeoutMs / 1000} s`));
      else resolve({ code, signal, stdout, stderr, pid: child.pid });
    });
    onStart?.(child);
  });
}

/** Kills every child still running and runs the cleanups; safe to call more than once. */
export function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
  children.clear();
  while (cleanups.length > 0) {
    try {
      cleanups.pop()();
    } catch {}
  }
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping children\n`);
    killAll();
    process.exit(130);
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
