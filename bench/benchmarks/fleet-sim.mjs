// 9. Fleet simulation: how many agents one control ingests. A real control (its own
// process, bench/lib/fleet-control.mjs, embedded ClickHouse and PGlite, pinned to the
// target CPU), its own redis-server, and simulator processes (bench/lib/fleet-agents.mjs,
// on the tool CPU) whose agents enroll, heartbeat, claim the shards of real runs launched
// through POST /runs, and push one signed 'intervals' message a second each (20 steps x 2
// status classes, real HdrHistograms). Per size (100, 300, 1,000, 3,000 agents; a run holds
// at most 1,000 agents, so larger sizes launch several runs at once):
//   lag        age of the oldest result not stored yet (Redis: pending + unread), max, in
//              the first half (ingest alone) and from the viewers on (viewers + drain)
//   control    CPU (cores) and RSS from /proc, without and then with K live viewers
//   rows/s     interval rows stored a second (results acked by ingest x 40 rows)
//   backlog    results waiting in the stream, max
//   viewer     control CPU added per GET /runs/:id/events connection (K = --viewers, 2)
//   stored     requests stored by the end against requests the agents sent
// The simulator measures itself: a second whose sends end more than 1 s after the interval
// closed means it fell behind (the size then measures the simulator, and says so).
// Verdict per size: lag < 2 s without viewers, everything stored, simulator on time. Ceiling: the largest
// size that passes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backlogOf, connectRedis, RedisNames, ResultsReader } from '@loadline/queue';
import { diskPerRow } from '../lib/fleet-disk.mjs';
import {
  ackedEntries,
  apiCaller,
  firstLine,
  fromAll,
  openViewers,
  sampler,
  scenarioYaml,
  startGroup,
  until,
} from '../lib/fleet-harness.mjs';
import { describeThreads, report } from '../lib/fleet-report.mjs';
import { freePort, waitForPort } from '../lib/net.mjs';
import { sleep } from '../lib/proc.mjs';
import {
  cpuMeter,
  cpuSeconds,
  runQueueSeconds,
  threadCores,
  threadCpuSeconds,
} from '../lib/procstat.mjs';
import { fmt, verdict } from '../lib/table.mjs';
import { root } from '../lib/tools.mjs';

const MAX_LAG_S = 2;
const MAX_AGENTS_PER_RUN = 1000;
const ROWS_PER_MESSAGE = 40;
/** How long a size may take to store what is left once its agents stopped. */
const DRAIN_S = 60;
/** How long runs may take from launch to running (every shard claimed, start said). */
const START_S = 120;
export async function fleetSim({ quick, options = {} }) {
  const sizes = (options.sizes ?? (quick ? '100,300' : '100,300,1000,3000'))
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  const durationS = Number(options.duration ?? (quick ? 14 : 20));
  const viewerCount = Number(options.viewers ?? 2);
  const workerCount = Number(options.workers ?? 2);
  const agentRps = Number(options.agentRps ?? 10_000);
  const profile = options.profile === true;
  const streams = Number(options.streams ?? 1);
  const ingestThreads = Number(options.ingestThreads ?? 0);
  // Control's CPUs: the target CPU alone unless --control-cpus says (ingest threads want more).
  const controlCpus = options.controlCpus ?? 'target';
  if (sizes.length === 0 || !(durationS >= 8))
    throw new Error('need --sizes N,... and --duration ≥ 8');
  const maxAgents = sizes.at(-1);
  const dir = mkdtempSync(join(tmpdir(), 'loadline-fleet-sim-'));
  const namespace = `loadline-fleet-${process.pid}`;
  const [redisPort, apiPort] = await Promise.all([freePort(), freePort()]);
  const api = `http://127.0.0.1:${apiPort}`;
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const env = {
    ...process.env,
    REDIS_URL: redisUrl,
    LOADLINE_API: api,
    LOADLINE_DATA_DIR: join(dir, 'state'),
    LOADLINE_NAMESPACE: namespace,
    LOADLINE_RESULT_STREAMS: String(streams),
    LOADLINE_INGEST_THREADS: String(ingestThreads),
  };
  const redisServer = startGroup(
    'tool',
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const workers = [];
  let control;
  let redis;
  const results = [];
  let idle;
  try {
    await until('redis-server', () => waitForPort(redisPort, 500), 10_000);
    const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profile')}`] : [];
    control = startGroup(
      controlCpus,
      process.execPath,
      [...nodeArgs, join(root, 'bench/lib/fleet-control.mjs')],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const { adminToken, agentToken } = JSON.parse(
      await firstLine(control.child.stdout, 90_000, 'control').catch((error) => {
        throw new Error(`${error.message}\n${control.output}`);
      }),
    );
    const controlPid = control.child.pid;
    const call = apiCaller(api, adminToken);
    await call('POST', '/scenarios', { source: scenarioYaml() });

    for (let w = 0; w < workerCount; w++) {
      workers.push(
        startGroup('tool', process.execPath, [join(root, 'bench/lib/fleet-agents.mjs')], {
          env: {
            ...env,
            AGENT_TOKEN: agentToken,
            FLEET_WORKER: String(w),
            FLEET_WORKERS: String(workerCount),
            FLEET_MAX_AGENTS: String(maxAgents),
            FLEET_AGENT_RPS: String(agentRps),
            // the simulator waits for the start a little longer than the harness does
            FLEET_START_S: String(START_S + 15),
          },
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        }),
      );
    }
    const ready = await fromAll(workers, 'ready', 300_000);
    const enrollS = Math.max(...ready.map((r) => r.enrollMs)) / 1000;
    const histogramChars = ready[0].meanHistogramChars;
    console.log(
      `  control on ${api} (pid ${controlPid}), redis on :${redisPort}; ${maxAgents} agents enrolled by ${workerCount} simulator processes in ${enrollS.toFixed(1)} s; ${fmt(agentRps)} req/s per agent, histograms ${fmt(histogramChars)} chars on average; ${durationS} s per size, ${viewerCount} live viewers in its second half; control on CPU(s) ${controlCpus === 'target' ? 'of the target' : controlCpus}, ${streams} results stream(s), ${ingestThreads} ingest thread(s)`,
    );

    redis = connectRedis(redisUrl);
    const names = new RedisNames(namespace, { resultStreams: streams });
    // What waits in every stream, as control's own backlog figure sums it.
    const streamReaders = names.resultStreamNames.map(
      (stream) =>
        new ResultsReader(
          redis,
          names,
          'fleet-sim-observer',
          { verify: async () => false },
          stream,
        ),
    );
    const reader = { backlog: () => backlogOf(streamReaders) };
    const cpu = cpuMeter(controlPid);
    const redisCpu = cpuMeter(redisServer.child.pid);
    // Control with no run: what it costs idle (agents heartbeating, nothing to ingest).
    for (const w of workers) w.child.send({ type: 'size', agents: sizes[0] });
    await fromAll(workers, 'sized', 30_000);
    let threadsAt = threadCpuSeconds(controlPid);
    cpu.mark();
    await sleep(4000);
    idle = { cores: cpu.read(), threads: threadCores(threadsAt, threadCpuSeconds(controlPid), 4) };
    console.log(
      `  control idle: ${fmt(idle.cores * 100)} % CPU (${describeThreads(idle.threads)})`,
    );

    for (const size of sizes) {
      for (const w of workers) w.child.send({ type: 'size', agents: size });
      await fromAll(workers, 'sized', 30_000);
      await sleep(1500);
      const runCount = Math.ceil(size / MAX_AGENTS_PER_RUN);
      const runs = [];
      for (let r = 0; r < runCount; r++) {
        const agents = Math.ceil((size - r) / runCount);
        const run = await call('POST', '/runs', {
          scenario: 'fleet-sim',
          agents,
          overrides: { duration: `${durationS}s` },
        });
        runs.push(run.id);
      }
      const ackedBefore = await ackedEntries(redis, names.resultStreamNames);
      const sample = sampler(reader, redis, controlPid);
      for (const w of workers) w.child.send({ type: 'run', runs, durationS });
      const done = fromAll(workers, 'done', (durationS + 120) * 1000);
      done.catch(() => {}); // awaited below; a failure before then is handled there
      cpu.mark();
      const waitStart = Date.now();
      const started = await until(
        'runs running',
        async () => {
          const all = await Promise.all(runs.map((id) => call('GET', `/runs/${id}`)));
          if (all.every((r) => r.status === 'running')) return true;
          // one that ended before it ran will not start any more
          return all.some((r) => !['queued', 'waiting-for-agents', 'running'].includes(r.status))
            ? 'ended'
            : false;
        },
        START_S * 1000,
        100,
      ).catch(() => false);
      if (started !== true) {
        // Every agent claimed (the simulator says so when it gives up), control never said start.
        const statuses = await Promise.all(runs.map((id) => call('GET', `/runs/${id}`)));
        const part = {
          agents: size,
          runs: runs.length,
          started: false,
          statuses: statuses.map((r) => r.status).join(','),
          abortReasons: [...new Set(statuses.map((r) => r.abortReason).filter(Boolean))],
          controlCores: cpu.read(),
          waitedS: (Date.now() - waitStart) / 1000,
          maxBacklog: Math.max(0, ...(await sample.stop()).map((x) => x.backlog)),
          pass: false,
        };
        results.push(part);
        console.log(
          `  ${fmt(size)} agents (${runs.length} run(s)): NOT all running ${part.waitedS.toFixed(1)} s after launch (${part.statuses}); control ${fmt(part.controlCores * 100)} % CPU meanwhile, backlog max ${fmt(part.maxBacklog)}  ${verdict(false)}`,
        );
        for (const reason of part.abortReasons) console.log(`    stopped: ${reason}`);
        console.log(`    control log: ${control.output.trim().split('\n').slice(-3).join(' | ')}`);
        break;
      }
      const startS = (Date.now() - waitStart) / 1000;
      // Warm-up (the start delay and the first sends), then two equal windows: without and
      // with live viewers.
      const half = Math.floor((durationS - 3) / 2);
      await sleep(3000);
      cpu.mark();
      redisCpu.mark();
      threadsAt = threadCpuSeconds(controlPid);
      const waitedAt = runQueueSeconds(controlPid);
      const cpuAt = cpuSeconds(controlPid);
      let acked = await ackedEntries(redis, names.resultStreamNames);
      let ackedAt = Date.now();
      await sleep(half * 1000);
      const baseCores = cpu.read();
      const threads = threadCores(threadsAt, threadCpuSeconds(controlPid), half);
      // Other processes on control's core (a shared machine) take CPU from it: said, and
      // control's cost is also given per message stored, which they do not change.
      const waitedShare = (runQueueSeconds(controlPid) - waitedAt) / half;
      const windowCpuS = cpuSeconds(controlPid) - cpuAt;
      const redisCores = redisCpu.read();
      const windowMessages = (await ackedEntries(redis, names.resultStreamNames)) - acked;
      const rowsPerS = (windowMessages * ROWS_PER_MESSAGE) / ((Date.now() - ackedAt) / 1000);
      const cpuMsPerMessage = windowMessages > 0 ? (windowCpuS * 1000) / windowMessages : null;
      // what bounds one control: its main thread's share (ingest threads take the rest)
      const mainMsPerMessage =
        windowMessages > 0 ? ((threads.main ?? 0) * half * 1000) / windowMessages : null;
      const viewersAt = Date.now();
      const viewers = openViewers(api, adminToken, runs[0], viewerCount);
      cpu.mark();
      acked = await ackedEntries(redis, names.resultStreamNames);
      ackedAt = Date.now();
      await sleep(half * 1000);
      const viewCores = cpu.read();
      const rowsPerSViewed =
        (((await ackedEntries(redis, names.resultStreamNames)) - acked) * ROWS_PER_MESSAGE) /
        ((Date.now() - ackedAt) / 1000);
      const seen = await viewers.close();
      const stats = (await done).map((d) => d.stats);
      // Bounded: what is left after DRAIN_S is reported, and larger sizes are not run.
      const drainStart = Date.now();
      const ackedAtDrain = await ackedEntries(redis, names.resultStreamNames);
      const drained = await until(
        'results stored',
        async () => (await reader.backlog()).messages === 0,
        DRAIN_S * 1000,
      ).catch(() => false);
      const drainS = (Date.now() - drainStart) / 1000;
      // With nothing arriving any more: how fast control stores on its own.
      const drainRowsPerS =
        drainS > 1
          ? (((await ackedEntries(redis, names.resultStreamNames)) - ackedAtDrain) *
              ROWS_PER_MESSAGE) /
            drainS
          : null;
      const samples = await sample.stop();
      const finals = drained
        ? await until(
            'runs ended',
            async () => {
              const all = await Promise.all(runs.map((id) => call('GET', `/runs/${id}`)));
              return all.every(
                (r) => !['running', 'waiting-for-agents', 'queued'].includes(r.status),
              )
                ? all
                : undefined;
            },
            60_000,
            500,
          )
        : await Promise.all(runs.map((id) => call('GET', `/runs/${id}`)));
      const sentMessages = stats.reduce((a, s) => a + s.messages, 0);
      const storedRequests = finals.reduce((a, r) => a + (r.live?.requests ?? 0), 0);
      const storedMessages = (await ackedEntries(redis, names.resultStreamNames)) - ackedBefore;
      const behindTicks = stats.reduce((a, s) => a + s.behindTicks, 0);
      const maxSendMs = Math.max(...stats.map((s) => s.maxSendMs));
      // Ingest on its own (before the viewers), and with them (their window and the drain).
      const maxLagS = Math.max(0, ...samples.filter((s) => s.at < viewersAt).map((s) => s.lagS));
      const maxLagViewedS = Math.max(
        0,
        ...samples.filter((s) => s.at >= viewersAt).map((s) => s.lagS),
      );
      const lags = samples.map((s) => s.lagS).sort((a, b) => a - b);
      const p50LagS = lags[Math.floor(lags.length / 2)] ?? 0;
      const part = {
        agents: size,
        runs: runs.length,
        started: true,
        startS,
        statuses: [...new Set(finals.map((r) => r.status))].join(','),
        abortReasons: [...new Set(finals.map((r) => r.abortReason).filter(Boolean))],
        sentMessages,
        storedMessages,
        storedRequests,
        maxLagS,
        maxLagViewedS,
        p50LagS,
        drainS,
        drained: Boolean(drained),
        drainRowsPerS,
        maxBacklog: Math.max(0, ...samples.map((s) => s.backlog)),
        controlCores: baseCores,
        controlCoresViewed: viewCores,
        perViewerCores: viewerCount > 0 ? (viewCores - baseCores) / viewerCount : null,
        viewerEvents: seen.events,
        viewerBytes: seen.bytes,
        viewerFailures: seen.failed,
        threads,
        waitedShare,
        cpuMsPerMessage,
        mainMsPerMessage,
        maxRssMb: Math.max(0, ...samples.map((s) => s.rssMb ?? 0)),
        maxRedisMb: Math.max(0, ...samples.map((s) => s.redisMb)),
        redisCores,
        rowsPerS,
        rowsPerSViewed,
        expectedRowsPerS: size * ROWS_PER_MESSAGE,
        simBehindTicks: behindTicks,
        simMaxSendMs: maxSendMs,
        simLoopP99Ms: Math.max(...stats.map((s) => s.loopDelayP99Ms)),
      };
      // Everything the agents sent was stored: every message they pushed was acked after
      // its rows were written (messages = intervals + claims + shard ends).
      part.allStored = storedMessages >= sentMessages + 2 * size;
      part.simOnTime = behindTicks === 0;
      part.pass = part.maxLagS < MAX_LAG_S && part.allStored && part.simOnTime;
      results.push(part);
      console.log(
        `  ${fmt(size)} agents (${runs.length} run(s), ${part.statuses}, running ${startS.toFixed(1)} s after launch): lag max ${part.maxLagS.toFixed(2)} s (${part.maxLagViewedS.toFixed(2)} s with ${viewerCount} viewers and after; p50 ${p50LagS.toFixed(2)}), drain ${drained ? `${drainS.toFixed(1)} s` : `NOT within ${DRAIN_S} s`} (${fmt(drainRowsPerS)} rows/s), backlog max ${fmt(part.maxBacklog)}, control ${fmt(baseCores * 100)} % CPU (${fmt(viewCores * 100)} % with ${viewerCount} viewers: ${fmt(part.perViewerCores * 100, 1)} %/viewer, ${fmt(seen.events)} events of ${fmt(seen.events > 0 ? seen.bytes / seen.events / 1024 : 0, 1)} KB on average), RSS ${fmt(part.maxRssMb)} MB, rows ${fmt(rowsPerS)}/s of ${fmt(part.expectedRowsPerS)}/s sent, redis ${fmt(redisCores * 100)} % CPU ${fmt(part.maxRedisMb)} MB, stored ${fmt(storedMessages)}/${fmt(sentMessages + 2 * size)} msgs, simulator ${part.simOnTime ? 'on time' : `BEHIND on ${behindTicks} sends`} (slowest second ${fmt(maxSendMs)} ms)  ${verdict(part.pass)}`,
      );
      console.log(
        `    control threads: ${describeThreads(threads)}; main thread waited for its CPU ${fmt(waitedShare * 100)} % of the time; ${fmt(cpuMsPerMessage, 2)} ms CPU per message stored (${fmt(ROWS_PER_MESSAGE)} rows), ${fmt(mainMsPerMessage, 2)} ms of it on the main thread`,
      );
      if (part.abortReasons.length > 0) console.log(`    stopped: ${part.abortReasons.join('; ')}`);
      if (!drained) {
        const left = sizes.filter((n) => n > size);
        if (left.length > 0) {
          console.log(
            `    not drained within ${DRAIN_S} s: larger sizes (${left.join(', ')}) not run, they would measure a backlog`,
          );
        }
        break;
      }
      await sleep(2000);
    }
  } finally {
    for (const w of workers) {
      try {
        w.child.send({ type: 'exit' });
      } catch {}
    }
    await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(5000)]);
    for (const w of workers) w.kill();
    redis?.disconnect();
    if (control) {
      control.child.kill('SIGTERM');
      await Promise.race([control.exited, sleep(15_000)]);
      control.kill();
    }
    redisServer.kill();
  }
  const disk = await diskPerRow(join(dir, 'state', 'clickhouse'), agentRps);
  for (const [what, d] of Object.entries(disk ?? {})) {
    if (!d) continue;
    console.log(
      `  on disk (${what === 'distinct' ? 'distinct histograms, as real agents send' : "the simulation's rows, histograms reused"}): ${fmt(d.rows)} interval rows in ${fmt(d.bytes / 1048576, 1)} MB, ${fmt(d.bytesPerRow, 1)} bytes a row (${fmt(d.uncompressedPerRow, 1)} uncompressed)`,
    );
  }
  if (profile) console.log(`  control CPU profile: ${join(dir, 'profile')}`);
  const passing = results.filter((r) => r.pass);
  const ceiling = passing.length > 0 ? Math.max(...passing.map((r) => r.agents)) : null;
  console.log(
    `\n${report(results, viewerCount, START_S)}\n\n  ceiling: ${ceiling === null ? 'none of the sizes' : `${fmt(ceiling)} agents`} (lag < ${MAX_LAG_S} s, all stored, simulator on time)`,
  );
  return {
    sizes,
    durationS,
    idle,
    viewerCount,
    agentRps,
    ceiling,
    disk,
    runs: { loadline: { parts: results } },
    rows: results.map((r) => ({
      metric: `fleet ${fmt(r.agents)} agents`,
      loadline: `lag ${r.maxLagS.toFixed(2)} s, ${fmt(r.rowsPerS)} rows/s, control ${fmt(r.controlCores * 100)} % CPU`,
      peer: 'target',
      peerValue: `lag < ${MAX_LAG_S} s`,
      ratio: null,
      target: 'lag < 2 s, all stored',
      pass: r.pass,
    })),
  };
}
