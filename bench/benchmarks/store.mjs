// 6. Results store: interval ingest into embedded ClickHouse (chdb) and the whole-run merged
// p99 query. No peer tool stores results like this, so the "peer" column holds the target.
//   ingest: 200 agents x 20 steps x 2 status classes, one batch per second of data (8,000
//           rows, realistic HdrHistograms of 200-400 latencies each); target >= 10x real time.
//   query:  a one-hour run (3,600 s x 20 steps x 4 agents x 2 classes = 576,000 rows):
//           runTotals (merged-histogram p99) over the whole run; target < 300 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, ms, ratio, verdict } from '../lib/table.mjs';
import { root } from '../lib/tools.mjs';

const targetFactor = 10;
const targetQueryMs = 300;
const statusClasses = ['2xx', '5xx'];

async function load() {
  const distOf = (pkg) => join(root, 'packages', pkg, 'dist', 'index.js');
  const [{ ResultStore }, histogram] = await Promise.all([
    import(distOf('store')),
    import(distOf('histogram')),
  ]);
  return { ResultStore, histogram };
}

/** Distinct encoded histograms with 200-400 log-normal-ish latencies (~2-200 ms) each. */
function histogramPool(histogram, size) {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed + 1) / 2147483649;
  };
  const pool = [];
  for (let i = 0; i < size; i++) {
    const h = histogram.createLatencyHistogram();
    const samples = 200 + (i % 200);
    for (let n = 0; n < samples; n++) {
      const normal = Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
      histogram.recordLatencyUs(h, Math.exp(9.5 + 0.8 * normal));
    }
    pool.push({ encoded: histogram.encodeHistogram(h), count: samples });
  }
  return pool;
}

/** The rows of one second: every agent x step x status class, histograms from the pool. */
function secondOfRows({ runId, second, agents, steps, pool, offset }) {
  const rows = [];
  let k = offset;
  for (let a = 0; a < agents; a++) {
    for (let s = 0; s < steps; s++) {
      for (const statusClass of statusClasses) {
        const { encoded, count } = pool[k++ % pool.length];
        rows.push({
          runId,
          agentId: `agent-${a}`,
          step: `step-${s}`,
          statusClass,
          second,
          requests: count,
          errors: statusClass === '5xx' ? count : 0,
          checksFailed: 0,
          late: 0,
          dropped: 0,
          histogram: encoded,
        });
      }
    }
  }
  return rows;
}

async function ingest(ResultStore, pool, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'loadline-bench-store-'));
  const store = await ResultStore.open({ path: dir });
  try {
    await store.migrate();
    const agents = 200;
    const steps = 20;
    const start = Math.floor(Date.now() / 1000) - 3600;
    let rows = 0;
    let elapsedMs = 0;
    for (let s = 0; s < seconds; s++) {
      const batch = secondOfRows({
        runId: 'run_ingest',
        second: start + s,
        agents,
        steps,
        pool,
        offset: s * 7,
      });
      const t0 = performance.now();
      await store.insertIntervals(batch);
      elapsedMs += performance.now() - t0;
      rows += batch.length;
    }
    const factor = (seconds * 1000) / elapsedMs;
    const totals = await store.runTotals('run_ingest', { statusClasses: ['2xx'] });
    return {
      agents,
      steps,
      seconds,
      rows,
      elapsedMs,
      factor,
      rowsPerS: rows / (elapsedMs / 1000),
      storedRequests: totals.requests,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function query(ResultStore, pool, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'loadline-bench-store-'));
  const store = await ResultStore.open({ path: dir });
  try {
    await store.migrate();
    const agents = 4;
    const steps = 20;
    const start = Math.floor(Date.now() / 1000 / 60) * 60 - seconds - 600;
    const t0 = performance.now();
    let rows = 0;
    // control ingests every second; 10 s per batch here keeps the setup short
    for (let s = 0; s < seconds; s += 10) {
      const batch = [];
      for (let i = s; i < Math.min(seconds, s + 10); i++) {
        batch.push(
          ...secondOfRows({ runId: 'run_hour', second: start + i, agents, steps, pool, offset: i }),
        );
      }
      await store.insertIntervals(batch);
      rows += batch.length;
    }
    const setupMs = performance.now() - t0;
    const t1 = performance.now();
    const compacted = await store.compact('run_hour');
    const compactMs = performance.now() - t1;
    const timings = [];
    let totals;
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      totals = await store.runTotals('run_hour');
      timings.push(performance.now() - t);
    }
    timings.sort((a, b) => a - b);
    const t2 = performance.now();
    await store.stepSummaries('run_hour');
    const stepsMs = performance.now() - t2;
    return {
      agents,
      steps,
      seconds,
      rows,
      setupMs,
      compactMs,
      rollups: compacted.groups,
      queryMs: { median: timings[3], max: timings[6], all: timings },
      stepSummariesMs: stepsMs,
      p99Ms: totals.latency.p99,
      requests: totals.requests,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function store({ quick }) {
  const { ResultStore, histogram } = await load();
  const pool = histogramPool(histogram, 2000);
  const ingestSeconds = quick ? 10 : 60;
  const runSeconds = quick ? 600 : 3600;

  const ing = await ingest(ResultStore, pool, ingestSeconds);
  const ingestPass = ing.factor >= targetFactor;
  console.log(
    `  ingest: ${fmt(ing.rows)} rows (${ing.agents} agents x ${ing.steps} steps x 2 classes x ${ing.seconds} s)` +
      ` in ${ms(ing.elapsedMs)}: ${fmt(ing.rowsPerS)} rows/s, ${fmt(ing.factor, 1)}x real time  ${verdict(ingestPass)}`,
  );

  const q = await query(ResultStore, pool, runSeconds);
  const queryPass = q.queryMs.median < targetQueryMs;
  console.log(
    `  run of ${q.seconds} s x ${q.steps} steps x ${q.agents} agents x 2 classes = ${fmt(q.rows)} rows` +
      ` (ingested in ${ms(q.setupMs)}); compact (${fmt(q.rollups)} minute rollups) ${ms(q.compactMs)}`,
  );
  console.log(
    `  whole-run runTotals: median ${ms(q.queryMs.median)}, max ${ms(q.queryMs.max)} of 7;` +
      ` p99 ${ms(q.p99Ms)}; stepSummaries ${ms(q.stepSummariesMs)}  ${verdict(queryPass)}`,
  );

  const rows = [
    {
      metric: `ingest ${ing.agents} agents x ${ing.steps} steps x 2 classes (x real time)`,
      loadline: `${fmt(ing.factor, 1)}x (${fmt(ing.rowsPerS)} rows/s)`,
      peer: 'target (no peer)',
      peerValue: `${targetFactor}x`,
      ratio: ratio(ing.factor, targetFactor),
      target: `>= ${targetFactor}x real time`,
      pass: ingestPass,
    },
    {
      metric: `whole-run p99, ${q.seconds} s x ${q.steps} steps x ${q.agents} agents`,
      loadline: ms(q.queryMs.median),
      peer: 'target (no peer)',
      peerValue: ms(targetQueryMs),
      ratio: ratio(q.queryMs.median, targetQueryMs),
      target: `< ${targetQueryMs} ms (rollups built: compact ${ms(q.compactMs)})`,
      pass: queryPass,
    },
  ];
  return { ingest: ing, query: q, rows };
}
