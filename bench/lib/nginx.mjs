// A private nginx for the benchmarks: one process, generated config and every path it writes
// in a temp dir (so it runs as root without touching /var), listening on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.mjs';
import { onCleanup, start, stop } from './proc.mjs';

export function findNginx() {
  for (const path of ['/usr/sbin/nginx', '/usr/local/sbin/nginx']) {
    if (existsSync(path)) return path;
  }
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

/** How this nginx was built (`nginx -V`): decides which directives the config may use. */
function buildFlags(bin) {
  return spawnSync(bin, ['-V'], { encoding: 'utf8' }).stderr ?? '';
}

/** Temp-path directives for the modules this nginx was built with. */
function tempPaths(built) {
  const modules = {
    client_body: null,
    proxy: 'proxy',
    fastcgi: 'fastcgi',
    uwsgi: 'uwsgi',
    scgi: 'scgi',
  };
  return Object.entries(modules)
    .filter(([, module]) => !module || !built.includes(`--without-http_${module}_module`))
    .map(([name]) => `  ${name}_temp_path ${name}_temp;`)
    .join('\n');
}

function config(built, hasStatus, port) {
  const status = hasStatus ? '    location = /nginx_status {\n      stub_status;\n    }\n' : '';
  return `daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid nginx.pid;
error_log error.log warn;
events {
  worker_connections 16384;
}
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
${tempPaths(built)}
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      default_type text/plain;
      return 200 "hello\\n";
    }
${status}  }
}
`;
}

/** nginx's total request count (stub_status), which includes the status request itself. */
async function requestCount(url) {
  const text = await (await fetch(`${url}nginx_status`)).text();
  const match = /^\s*\d+\s+\d+\s+(\d+)\s*$/m.exec(text);
  if (!match) throw new Error(`unexpected stub_status output: ${text}`);
  return Number(match[1]);
}

/**
 * Runs `fn()` and adds `serverRequests`, the requests nginx received meanwhile, to its result
 * (when this nginx has stub_status).
 */
async function counted(url, hasStatus, fn) {
  if (!hasStatus) return fn();
  const before = await requestCount(url);
  const result = await fn();
  const after = await requestCount(url);
  if (!result.error) result.serverRequests = after - before - 1;
  return result;
}

/** Starts nginx pinned to the target CPU; resolves to `{ url, pid, counted(fn), stop() }`. */
export async function startNginx() {
  const bin = findNginx();
  if (!bin) throw new Error('nginx not found (apt-get install nginx-light)');
  const dir = mkdtempSync(join(tmpdir(), 'loadline-bench-nginx-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onCleanup(removeDir);
  const built = buildFlags(bin);
  const hasStatus = built.includes('--with-http_stub_status_module');
  let lastError = '';
  // The free port can be taken between probing and binding; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), config(built, hasStatus, port));
    const args = ['-p', `${dir}/`, '-c', 'nginx.conf', '-e', 'error.log'];
    const child = start('target', bin, args);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const up = await Promise.race([waitForPort(port, 5000), exited.then(() => false)]);
    if (up) {
      const url = `http://127.0.0.1:${port}/`;
      return {
        url,
        pid: child.pid,
        counted: (fn) => counted(url, hasStatus, fn),
        stop: async () => {
          await stop(child);
          removeDir();
        },
      };
    }
    await stop(child);
    const log = join(dir, 'error.log');
    lastError = `${stderr}${existsSync(log) ? readFileSync(log, 'utf8') : ''}`.trim();
  }
  removeDir();
  throw new Error(`nginx did not start: ${lastError || 'no error output'}`);
}
