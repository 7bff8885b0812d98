#!/usr/bin/env node
// One entry point behind `npm start`, `npm test` and `npm run bench`: it makes a fresh
// clone usable (dependencies, build, system packages the step needs) and then runs the
// step. Plain Node, no dependencies: it runs before node_modules exists.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = process.argv[2] ?? 'start';
const passThrough = process.argv.slice(3);

const env = {
  ...process.env,
  // Browsers come from Debian's chromium package; never download one at install time.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
};

function log(message) {
  process.stderr.write(`[loadline setup] ${message}\n`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function runOrDie(command, args, what) {
  const status = run(command, args);
  if (status !== 0) {
    log(`${what} failed (exit ${status})`);
    process.exit(status);
  }
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Installs npm dependencies when node_modules is missing or older than the lockfile. */
function ensureDependencies() {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules', '.loadline-installed');
  const want = existsSync(lock)
    ? createHash('sha256').update(readFileSync(lock)).digest('hex')
    : 'no-lock';
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return;
  log('installing dependencies');
  // `npm install`, not `npm ci`: npm 11 writes lockfiles that list only this platform's
  // optional binaries (biome, turbo, esbuild), which `npm ci` then rejects as out of sync.
  runOrDie('npm', ['install', '--no-audit', '--no-fund'], 'npm dependency install');
  writeFileSync(marker, want);
}

function build() {
  log('building');
  runOrDie(
    join(root, 'node_modules', '.bin', 'turbo'),
    ['run', 'build', '--output-logs=errors-only'],
    'build',
  );
}

/** Best-effort Debian packages; a step that needs one says so itself when it is missing. */
function aptInstall(packages) {
  const missing = packages.filter((p) => !p.present());
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    log(`missing system packages (install them yourself): ${names.join(' ')}`);
    return;
  }
  log(`installing system packages: ${names.join(' ')}`);
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'] };
  let status = run('apt-get', ['install', '-y', '--no-install-recommends', ...names], quiet);
  if (status !== 0) {
    run('apt-get', ['update'], quiet);
    status = run('apt-get', ['install', '-y', '--no-install-recommends', ...names], quiet);
  }
  if (status !== 0)
    log(`could not install ${names.join(' ')}; the steps that need them will say so`);
}

const javaHdrHistogram = {
  name: 'libhdrhistogram-java',
  present: () =>
    existsSync('/usr/share/java/HdrHistogram.jar') ||
    existsSync('/usr/share/java/hdrhistogram.jar'),
};
const chromium = { name: 'chromium', present: () => existsSync('/usr/bin/chromium') };
// The fleet test makes hosts whose clocks are off with libfaketime.
const faketime = {
  name: 'faketime',
  present: () => existsSync('/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1'),
};
const pgbouncer = {
  name: 'pgbouncer',
  present: () => has('pgbouncer') || existsSync('/usr/sbin/pgbouncer'),
};
// The Sentinel trial of infra/k8s/redis.yaml runs its Redis proxy, HAProxy.
const haproxy = {
  name: 'haproxy',
  present: () => has('haproxy') || existsSync('/usr/sbin/haproxy'),
};
const nginx = { name: 'nginx-light', present: () => has('nginx') || existsSync('/usr/sbin/nginx') };
const wrk = { name: 'wrk', present: () => has('wrk') };

const cleanups = [];

function exec(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    for (const cleanup of cleanups) cleanup();
    process.exit(code ?? (signal ? 130 : 1));
  });
}

/** true when something answers PING with +PONG on 127.0.0.1:port. */
function redisAnswers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * Redis for BullMQ: REDIS_URL when set; else whatever answers on 127.0.0.1:6379; else a
 * redis-server child of ours (installed from Debian when missing), gone when we exit.
 */
async function ensureRedis() {
  if (env.REDIS_URL) return;
  if (await redisAnswers(6379)) return;
  aptInstall([{ name: 'redis-server', present: () => has('redis-server') }]);
  if (!has('redis-server')) {
    log(
      'no Redis on 127.0.0.1:6379 and redis-server is not installed; tests that need Redis will skip',
    );
    return;
  }
  log('starting redis-server on 127.0.0.1:6379 (nothing answered there)');
  const child = spawn(
    'redis-server',
    ['--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  cleanups.push(() => child.kill('SIGTERM'));
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(6379)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log('redis-server did not answer within 5 s');
}

ensureDependencies();
build();
switch (step) {
  case 'start':
    await ensureRedis();
    exec(process.execPath, [join(root, 'apps/cli/dist/main.js'), 'up', ...passThrough]);
    break;
  case 'test': {
    // The HdrHistogram interop test reads our logs with the reference Java reader.
    // The console's end-to-end tests drive Debian's Chromium through playwright-core.
    // The fleet test's hosts with wrong clocks run under Debian's libfaketime.
    // The metadata suites also run through PgBouncer in transaction mode (they skip,
    // saying so, without it).
    aptInstall([javaHdrHistogram, chromium, faketime, pgbouncer, haproxy]);
    await ensureRedis();
    log('lint');
    runOrDie(join(root, 'node_modules', '.bin', 'biome'), ['ci', '.'], 'lint');
    // Deployment files can't be run here (no Docker, no cluster): check what can be checked.
    runOrDie(process.execPath, [join(root, 'infra', 'check.mjs')], 'infra check');
    exec(process.execPath, [join(root, 'scripts/run-tests.mjs'), ...passThrough]);
    break;
  }
  case 'bench':
    aptInstall([nginx, wrk]);
    exec(process.execPath, [join(root, 'bench/run.mjs'), ...passThrough]);
    break;
  default:
    log(`unknown step "${step}" (expected start, test or bench)`);
    process.exit(2);
}
