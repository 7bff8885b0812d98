// The load generators under comparison. Each runner is pinned to the tool CPU, bounded in
// time, and resolves to one normalised shape:
//   { tool, requests, errors, durationS, rps, latencyMs: { mean, p50, p90, p99, p999, max }, raw }
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './proc.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Loadline CLI to run; run.mjs sets it from --loadline. */
export const config = { loadlineBin: join(root, 'apps/cli/dist/main.js') };
const autocannonBin = join(root, 'node_modules/autocannon/autocannon.js');

/** Hard limit for a run of `durationS`: 1.5x the duration plus 30 s, then it is killed. */
const limitMs = (durationS) => durationS * 1500 + 30_000;

function tail(text, lines = 8) {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** The last line of `text` that parses as a JSON object. */
function lastJsonObject(text) {
  const trimmed = text.trim();
  const candidates = [trimmed, ...trimmed.split('\n').reverse()];
  for (const candidate of candidates) {
    if (!candidate.startsWith('{')) continue;
    try {
      return JSON.parse(candidate);
    } catch {}
  }
  return null;
}

/**
 * `loadline bench --url URL <mode...> --duration Ns --json`; `mode` is e.g.
 * `['--connections', '50']` or `['--rate', '5000']`.
 */
export async function loadline(url, mode, durationS, { onStart } = {}) {
  const { loadlineBin } = config;
  if (!existsSync(loadlineBin)) {
    throw new Error(`Loadline CLI not found at ${loadlineBin} (run npm run build)`);
  }
  const args = [
    loadlineBin,
    'bench',
    '--url',
    url,
    ...mode,
    '--duration',
    `${durationS}s`,
    '--json',
  ];
  const res = await run('tool', process.execPath, args, { timeoutMs: limitMs(durationS), onStart });
  const out = lastJsonObject(res.stdout);
  if (!out || typeof out.requests !== 'number') {
    throw new Error(
      `loadline exited ${res.code ?? res.signal} without a JSON result:\n${tail(res.stderr || res.stdout)}`,
    );
  }
  return {
    tool: 'loadline',
    requests: out.requests,
    errors: out.errors ?? 0,
    late: out.late ?? null,
    dropped: out.dropped ?? null,
    durationS: out.durationS,
    rps: out.achievedRps ?? out.requests / out.durationS,
    latencyMs: out.latencyMs ?? {},
    exitCode: res.code,
    pid: res.pid,
    raw: {
      ...out,
      histogram: out.histogram ? `<${out.histogram.length} base64 chars>` : undefined,
    },
  };
}

/** `autocannon -c C -d D [-R rate] --json URL`, run as `node autocannon.js` (no wrapper). */
export async function autocannon(url, { connections, durationS, rate, onStart }) {
  const args = [autocannonBin, '-c', String(connections), '-d', String(durationS), '--json'];
  if (rate) args.push('-R', String(rate));
  args.push(url);
  const res = await run('tool', process.execPath, args, { timeoutMs: limitMs(durationS), onStart });
  const out = lastJsonObject(res.stdout);
  if (!out?.requests) {
    throw new Error(
      `autocannon exited ${res.code ?? res.signal} without a JSON result:\n${tail(res.stderr)}`,
    );
  }
  const l = out.latency ?? {};
  return {
    tool: rate ? `autocannon -R ${rate}` : 'autocannon',
    requests: out.requests.total,
    errors: (out.errors ?? 0) + (out.non2xx ?? 0),
    durationS: out.duration,
    rps: out.requests.total / out.duration,
    averageRps: out.requests.average,
    latencyMs: {
      mean: l.average,
      min: l.min,
      p50: l.p50,
      p90: l.p90,
      p99: l.p99,
      p999: l.p99_9,
      max: l.max,
    },
    exitCode: res.code,
    pid: res.pid,
    raw: {
      requests: out.requests,
      latency: out.latency,
      errors: out.errors,
      timeouts: out.timeouts,
      non2xx: out.non2xx,
      duration: out.duration,
    },
  };
}

export const hasWrk = () =>
  spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;

/** wrk latency like "1.23ms", "850.00us", "1.02s" in milliseconds. */
function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!m) return null;
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2]];
}

/** `wrk -t1 -cC -dDs --latency URL`, parsed from its text report. */
export async function wrk(url, { connections, durationS }) {
  const args = ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', url];
  const res = await run('tool', 'wrk', args, { timeoutMs: limitMs(durationS) });
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(res.stdout);
  if (!rps)
    throw new Error(`wrk exited ${res.code} without a report:\n${tail(res.stderr || res.stdout)}`);
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(res.stdout);
  const pctl = (p) => wrkMs(new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(res.stdout)?.[1]);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    res.stdout,
  );
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(res.stdout);
  const stats = /^\s*Latency\s+(\S+)\s+\S+\s+(\S+)/m.exec(res.stdout);
  return {
    tool: 'wrk',
    requests: total ? Number(total[1]) : null,
    errors:
      (errors ? errors.slice(1).reduce((a, n) => a + Number(n), 0) : 0) + Number(non2xx?.[1] ?? 0),
    durationS: total ? wrkMs(`${total[2]}${total[3]}`) / 1000 : durationS,
    rps: Number(rps[1]),
    latencyMs: {
      mean: wrkMs(stats?.[1]),
      p50: pctl(50),
      p90: pctl(90),
      p99: pctl(99),
      max: wrkMs(stats?.[2]),
    },
    exitCode: res.code,
    raw: res.stdout,
  };
}

/** Runs one tool, logging and returning `{ tool, error }` instead of throwing. */
export async function attempt(tool, fn) {
  try {
    return await fn();
  } catch (err) {
    process.stderr.write(`  ${tool} failed: ${err.message}\n`);
    return { tool, error: err.message };
  }
}
