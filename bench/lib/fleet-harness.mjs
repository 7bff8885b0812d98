// Harness pieces of the fleet simulation (bench/benchmarks/fleet-sim.mjs): process groups,
// the simulators' IPC, live viewers, and what is sampled from Redis while a size runs.
import { spawn } from 'node:child_process';
import { onCleanup, pinned, sleep } from './proc.mjs';
import { rssMb } from './procstat.mjs';

/** A child in a process group of its own, killed with its group when the harness exits. */
export function startGroup(role, command, args, options) {
  const [cmd, argv] = pinned(role, command, args);
  const child = spawn(cmd, argv, { ...options, detached: true });
  const kill = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  onCleanup(kill);
  let output = '';
  child.stderr?.on('data', (d) => {
    output = (output + d.toString()).slice(-20_000);
  });
  return {
    child,
    kill,
    get output() {
      return output;
    },
    exited: new Promise((resolve) => child.once('exit', resolve)),
  };
}

/** `call(method, path, body)` on control's API as the admin token: the JSON, or an error. */
export function apiCaller(api, adminToken) {
  return async (method, path, body) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

export function firstLine(stream, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)),
      timeoutMs,
    );
    stream.on('data', (d) => {
      text += d.toString();
      const end = text.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(text.slice(0, end));
      }
    });
  });
}

/** The next IPC message of `type` from every worker (an 'error' rejects). */
export function fromAll(workers, type, timeoutMs) {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`simulator: no '${type}' within ${timeoutMs / 1000} s`)),
            timeoutMs,
          );
          const on = (m) => {
            if (m.type !== type && m.type !== 'error') return;
            clearTimeout(timer);
            w.child.off('message', on);
            if (m.type === 'error') reject(new Error(`simulator: ${m.message}`));
            else resolve(m);
          };
          w.child.on('message', on);
        }),
    ),
  );
}

export function scenarioYaml() {
  const steps = Array.from(
    { length: 20 },
    (_, j) => `      - { name: s${j}, request: { path: /s${j} } }`,
  ).join('\n');
  return `name: fleet-sim\ntarget: http://127.0.0.1:9\nload: { rate: 1000, duration: 30s }\nflows:\n  - name: f\n    steps:\n${steps}\n`;
}

/** Opens `count` live views of a run; close() ends them and says what they received. */
export function openViewers(api, token, runId, count) {
  const controller = new AbortController();
  const received = { bytes: 0, events: 0, failed: 0 };
  const views = Array.from({ length: count }, async () => {
    try {
      const res = await fetch(`${api}/runs/${runId}/events`, {
        headers: { authorization: `Bearer ${token}` },
        signal: controller.signal,
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      for await (const chunk of res.body) {
        received.bytes += chunk.length;
        // (a chunk is a Uint8Array: its own toString() lists the bytes' values)
        received.events += (
          Buffer.from(chunk)
            .toString('utf8')
            .match(/^event: /gm) ?? []
        ).length;
      }
    } catch (error) {
      if (error.name !== 'AbortError') received.failed++;
    }
  });
  return {
    async close() {
      controller.abort();
      await Promise.all(views);
      return received;
    },
  };
}

/** Samples lag, backlog, control RSS and Redis memory every 500 ms until stop(). */
export function sampler(reader, redis, controlPid) {
  const samples = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const [backlog, info] = await Promise.all([
        reader.backlog().catch(() => ({ messages: 0, oldestAt: undefined })),
        redis.info('memory').catch(() => ''),
      ]);
      samples.push({
        at,
        lagS: backlog.oldestAt === undefined ? 0 : Math.max(0, (at - backlog.oldestAt) / 1000),
        backlog: backlog.messages,
        rssMb: rssMb(controlPid),
        redisMb: Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1048576,
      });
      await sleep(Math.max(0, 500 - (Date.now() - at)));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** Results acked by the `control` group so far (entries read minus pending). */
export async function ackedEntries(redis, streams) {
  let acked = 0;
  for (const stream of streams) {
    const groups = await redis.xinfo('GROUPS', stream).catch(() => []);
    for (const g of groups) {
      const f = {};
      for (let i = 0; i + 1 < g.length; i += 2) f[g[i]] = g[i + 1];
      if (f.name === 'control') acked += Number(f['entries-read'] ?? 0) - Number(f.pending ?? 0);
    }
  }
  return acked;
}

export async function until(what, ok, timeoutMs, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await ok().catch(() => undefined);
    if (value) return value;
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}
