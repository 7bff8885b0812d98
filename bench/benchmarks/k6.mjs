// 11. k6 scripts run unchanged (`loadline run script.js --local`, packages/k6), pinned to one
// core against nginx, beside Loadline's own scenario engine (`loadline run scenario.yaml
// --local`) given the same work in the same closed model:
//   throughput: one request and one check per iteration, 50 VUs, iterations/s on one core;
//   memory: peak RSS at 1,000 VUs (sleep 1 s between requests) minus peak RSS at 1 VU, / 999.
// No k6 binary is on this machine and none is downloaded: k6's own memory figure is its
// documented one, and its throughput is not shown at all.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startNginx } from '../lib/nginx.mjs';
import { onCleanup, pinning, run } from '../lib/proc.mjs';
import { sampleRss } from '../lib/rss.mjs';
import { fmt, mb, ms, ratio, verdict } from '../lib/table.mjs';
import { attempt, autocannon, config, root } from '../lib/tools.mjs';

const throughputVus = 50;
const goalIterationsPerS = 15_000;
const memoryVus = 1_000;
const goalMbPerVu = 0.5;
const K6_DOCUMENTED =
  'k6 (Grafana) documents ~1-5 MB per VU for a simple script ("Running large tests", grafana.com/docs/k6); not measured here';
const NO_K6 = 'no k6 binary on this machine and none is downloaded: k6 itself is not run';
const peakRssHook = pathToFileURL(join(root, 'test', 'peak-rss.mjs')).href;

/** A k6 script: constant-vus, one GET and one check per iteration, optionally a sleep. */
function k6Script(url, vus, durationS, sleepS) {
  return `import http from 'k6/http';
import { check${sleepS ? ', sleep' : ''} } from 'k6';

export const options = {
  scenarios: { bench: { executor: 'constant-vus', vus: ${vus}, duration: '${durationS}s' } },
};

export default function () {
  const res = http.get('${url}');
  check(res, { '200': (r) => r.status === 200 });${sleepS ? `\n  sleep(${sleepS});` : ''}
}
`;
}

/**
 * The same iteration as a Loadline scenario: closed model, a GET with a status check. A step's
 * think time applies only before a next step (none after a flow's last), so with `thinkS` the
 * flow is GET, think, GET: two requests per iteration around the pause instead of one.
 */
function scenarioYaml(url, vus, durationS, thinkS) {
  const hit = (name) => `{ name: ${name}, request: { path: / }, check: { status: 200 }`;
  const steps = thinkS
    ? `${hit('hit')}, think: ${thinkS}s }, ${hit('again')} }`
    : `${hit('hit')} }`;
  return (
    `name: k6-bench-peer\ntarget: ${url}\nload: { vus: ${vus}, duration: ${durationS}s }\n` +
    `flows: [{ name: f, steps: [${steps}] }]\n`
  );
}

/**
 * `loadline run FILE --local --json`, pinned, with peak RSS (getrusage, test/peak-rss.mjs)
 * and RSS sampled every 250 ms; resolves to `{ out, exitCode, wallS, peakRssMb, samples }`.
 */
async function loadlineRun(file, durationS) {
  const peakFile = `${file}.peak-rss`;
  let sampler = null;
  const started = Date.now();
  try {
    const res = await run(
      'tool',
      process.execPath,
      ['--import', peakRssHook, config.loadlineBin, 'run', file, '--local', '--json'],
      {
        timeoutMs: (durationS * 2 + 60) * 1000,
        env: { ...process.env, LOADLINE_PEAK_RSS_FILE: peakFile },
        onStart: (child) => {
          sampler = sampleRss(child.pid, 250);
        },
      },
    );
    const samples = sampler?.stop() ?? [];
    const line = res.stdout.trim().split('\n').at(-1) ?? '';
    let out = null;
    try {
      out = JSON.parse(line);
    } catch {}
    if (!out) {
      throw new Error(
        `exited ${res.code ?? res.signal} without a JSON result:\n${res.stderr.trim().split('\n').slice(-6).join('\n')}`,
      );
    }
    let peakKb = null;
    try {
      peakKb = Number(readFileSync(peakFile, 'utf8'));
    } catch {}
    const sampledMax = samples.length ? Math.max(...samples.map((s) => s.mb)) : null;
    return {
      out,
      exitCode: res.code,
      wallS: (Date.now() - started) / 1000,
      peakRssMb: peakKb ? peakKb / 1024 : sampledMax,
      sampledMaxMb: sampledMax,
      samples,
    };
  } finally {
    sampler?.stop();
  }
}

/** The k6 runner's figures from k6's summary (`summary.metrics`). */
async function k6Runner(dir, name, url, vus, durationS, sleepS) {
  const file = join(dir, `${name}.js`);
  writeFileSync(file, k6Script(url, vus, durationS, sleepS));
  const r = await loadlineRun(file, durationS);
  const m = r.out.summary?.metrics ?? {};
  if (!m.iterations)
    throw new Error(`k6 runner exited ${r.exitCode}: ${r.out.reason ?? 'no summary'}`);
  const checks = m.checks?.values ?? {};
  return {
    tool: 'k6 runner (run .js)',
    vus,
    iterations: m.iterations.values.count,
    iterationsPerS: m.iterations.values.rate,
    checksFailed: checks.fails ?? null,
    failedRequests: m.http_req_failed?.values.passes ?? null,
    p95Ms: m.http_req_duration?.values['p(95)'] ?? null,
    vusMax: m.vus_max?.values.max ?? null,
    ok: r.exitCode === 0 && (checks.fails ?? 0) === 0,
    exitCode: r.exitCode,
    reason: r.out.reason,
    wallS: r.wallS,
    peakRssMb: r.peakRssMb,
    sampledMaxMb: r.sampledMaxMb,
    series: r.samples,
  };
}

/** Loadline's scenario engine given the same iteration. */
async function scenarioEngine(dir, name, url, vus, durationS, thinkS) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, scenarioYaml(url, vus, durationS, thinkS));
  const r = await loadlineRun(file, durationS);
  const o = r.out;
  if (!o.iterations)
    throw new Error(`scenario engine exited ${r.exitCode}: ${o.status ?? 'no result'}`);
  return {
    tool: 'scenario engine (run .yaml)',
    vus,
    iterations: o.iterations.completed,
    iterationsPerS: o.iterations.completed / o.durationS,
    checksFailed: Object.values(o.steps ?? {}).reduce((n, step) => n + (step.checksFailed ?? 0), 0),
    failedRequests: o.total?.errors ?? null,
    p99Ms: o.total?.latencyMs?.p99 ?? null,
    ok: r.exitCode === 0 && o.status === 'passed',
    exitCode: r.exitCode,
    status: o.status,
    wallS: r.wallS,
    peakRssMb: r.peakRssMb,
    sampledMaxMb: r.sampledMaxMb,
    series: r.samples,
  };
}

const perVuText = (v) => (v === null || v === undefined ? 'n/a' : `${fmt(v, 3)} MB`);

function line(r) {
  const name = `  ${r.tool.padEnd(28)}`;
  if (r.error) return `${name} ERROR ${r.error.split('\n')[0]}`;
  const latency = r.p95Ms !== undefined ? `p95 ${ms(r.p95Ms)}` : `p99 ${ms(r.p99Ms)}`;
  return (
    `${name} ${String(r.vus).padStart(5)} VUs ${fmt(r.iterations).padStart(10)} it` +
    ` ${fmt(r.iterationsPerS).padStart(8)} it/s  ${latency}  checks failed ${fmt(r.checksFailed)}` +
    `  peak RSS ${mb(r.peakRssMb)}  exit ${r.exitCode}${r.ok ? '' : '  NOT OK'}`
  );
}

async function throughput(dir, url, durationS) {
  console.log(
    `  throughput: ${throughputVus} VUs, ${durationS} s, one GET + one check per iteration, one core`,
  );
  const k6 = await attempt('k6 runner', () =>
    k6Runner(dir, 'throughput', url, throughputVus, durationS, 0),
  );
  console.log(line(k6));
  const engine = await attempt('scenario engine', () =>
    scenarioEngine(dir, 'throughput', url, throughputVus, durationS, 0),
  );
  console.log(line(engine));
  if (!pinning)
    console.log('  pinning off: the tools could use every core, so these are not per core');
  const pass = k6.error ? null : k6.ok && k6.iterationsPerS >= goalIterationsPerS;
  const r = ratio(k6.iterationsPerS, engine.iterationsPerS);
  console.log(
    `  k6 runner ${fmt(k6.iterationsPerS)} it/s per core (goal ≥ ${fmt(goalIterationsPerS)}), ` +
      `${fmt(r, 2)}x the scenario engine  ${verdict(pass)}`,
  );
  return {
    runs: { k6, engine },
    row: {
      metric: `k6 script it/s, ${throughputVus} VUs, 1 core`,
      loadline: fmt(k6.iterationsPerS),
      peer: 'loadline scenario engine',
      peerValue: fmt(engine.iterationsPerS),
      ratio: r,
      target: `≥ ${fmt(goalIterationsPerS)}/s`,
      pass,
    },
  };
}

/** Peak RSS at `memoryVus` and at 1 VU, and the difference per added VU. */
async function perVu(label, runner) {
  const one = await attempt(label, () => runner(1));
  const many = await attempt(label, () => runner(memoryVus));
  const perVuMb =
    one.error || many.error ? null : (many.peakRssMb - one.peakRssMb) / (memoryVus - 1);
  return { one, many, perVuMb };
}

async function memoryPerVu(dir, url, durationS) {
  console.log(
    `  memory: ${fmt(memoryVus)} VUs and 1 VU, ${durationS} s, GET + check + sleep 1 s, peak RSS (getrusage)`,
  );
  const k6 = await perVu('k6 runner', (vus) =>
    k6Runner(dir, `memory-${vus}`, url, vus, durationS, 1),
  );
  for (const r of [k6.one, k6.many]) console.log(line(r));
  const engine = await perVu('scenario engine', (vus) =>
    scenarioEngine(dir, `memory-${vus}`, url, vus, durationS, 1),
  );
  for (const r of [engine.one, engine.many]) console.log(line(r));
  // Every VU must have been busy: about one iteration per VU per second of the run.
  const activity = (r) => (r.error ? null : r.iterations / (memoryVus * durationS));
  for (const [label, side] of [
    ['k6 runner', k6],
    ['scenario engine', engine],
  ]) {
    const a = activity(side.many);
    if (a !== null && a < 0.8) {
      console.log(
        `  ${label}: ${fmt(a, 2)} iterations per VU-second at ${fmt(memoryVus)} VUs (< 0.8): not every VU kept its pace`,
      );
    }
  }
  const pass =
    k6.perVuMb === null
      ? null
      : k6.perVuMb <= goalMbPerVu && k6.many.ok && activity(k6.many) >= 0.8;
  const r = ratio(k6.perVuMb, engine.perVuMb);
  console.log(
    `  per VU: k6 runner ${perVuText(k6.perVuMb)}, scenario engine ${perVuText(engine.perVuMb)} (${fmt(r, 2)}x); ` +
      `goal ≤ ${goalMbPerVu} MB  ${verdict(pass)}`,
  );
  console.log(`  ${K6_DOCUMENTED}`);
  return {
    runs: { k6, engine },
    rows: [
      {
        metric: `k6 script memory per VU @${fmt(memoryVus)}`,
        loadline: perVuText(k6.perVuMb),
        peer: 'loadline scenario engine',
        peerValue: perVuText(engine.perVuMb),
        ratio: r,
        target: `≤ ${goalMbPerVu} MB`,
        pass,
      },
      {
        metric: 'k6 memory per VU (documented)',
        loadline: perVuText(k6.perVuMb),
        peer: 'k6 (docs, not run)',
        peerValue: '1-5 MB',
        ratio: null,
        target: '-',
        pass: null,
      },
    ],
  };
}

export async function k6({ quick }) {
  const throughputS = quick ? 3 : 10;
  const memoryS = quick ? 6 : 20;
  const dir = mkdtempSync(join(tmpdir(), 'loadline-k6-bench-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onCleanup(removeDir);
  const nginx = await startNginx();
  try {
    console.log(`  nginx on ${nginx.url}; ${NO_K6}`);
    await autocannon(nginx.url, { connections: throughputVus, durationS: quick ? 1 : 3 });
    const speed = await throughput(dir, nginx.url, throughputS);
    const memory = await memoryPerVu(dir, nginx.url, memoryS);
    const runs = {
      // run.mjs marks the benchmark failed when this run failed
      loadline: speed.runs.k6,
      throughput: speed.runs,
      memory: memory.runs,
    };
    return {
      throughputS,
      memoryS,
      k6Binary: NO_K6,
      k6Documented: K6_DOCUMENTED,
      runs,
      rows: [speed.row, ...memory.rows],
    };
  } finally {
    await nginx.stop();
    removeDir();
  }
}
