// One simulator process of the fleet benchmark: many simulated agents, each a light loop
// that does what a real agent does on the wire and nothing else. Each enrolls with control
// (`enrollAgent`, POST /agents/enroll: its own key), heartbeats every second
// (`writeHeartbeat`, signed), claims its shard of a real run (`sendAgentMessage` 'claimed',
// signed), waits for control's signed start, and from it pushes one 'intervals' message a
// second: 20 steps x 2 status classes, each row carrying a real HdrHistogram built and
// encoded with @loadline/histogram, then 'shard-done'. No requests are sent to any target.
// The process owns the agents whose index i satisfies i % workers === worker.
//   node bench/lib/fleet-agents.mjs   (driven over IPC by bench/benchmarks/fleet-sim.mjs)
// Messages in: { type: 'size', agents } (which agents heartbeat), { type: 'run', runs,
// agents, durationS }, { type: 'exit' }. Out: { type: 'ready' }, { type: 'done', stats }.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { hmac, signatureMatches } from '@loadline/access';
import { enrollAgent } from '@loadline/agent';
import {
  connectRedis,
  RedisNames,
  SignalSubscription,
  sendAgentMessage,
  writeHeartbeat,
} from '@loadline/queue';
import { STATUS_CLASSES, STEPS, stepHistogram } from './fleet-histograms.mjs';

const VARIANTS = 8;
/** A second's sends that end this late (ms after the interval closed) mean the simulator fell behind. */
const BEHIND_MS = 1000;

const env = process.env;
const worker = Number(env.FLEET_WORKER);
const workers = Number(env.FLEET_WORKERS);
const maxAgents = Number(env.FLEET_MAX_AGENTS);
const agentRps = Number(env.FLEET_AGENT_RPS);
const names = new RedisNames(env.LOADLINE_NAMESPACE);
// as a shard job tells a real agent: the results streams it picks its own from
const STREAMS = Number(env.LOADLINE_RESULT_STREAMS ?? 1);
const redis = connectRedis(env.REDIS_URL);
redis.on('error', (error) => process.stderr.write(`redis: ${error.message}\n`));
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const send = (message) => process.send(message);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Real histograms, built once (VARIANTS per step and status class) and reused. */
function histogramPool() {
  return Array.from({ length: STEPS }, (_, step) =>
    Object.fromEntries(
      STATUS_CLASSES.map((cls) => [
        cls,
        Array.from({ length: VARIANTS }, () => stepHistogram(step, cls, agentRps)),
      ]),
    ),
  );
}

const mine = [];
for (let i = worker; i < maxAgents; i += workers) mine.push(i);
const agentId = (i) => `fleet-sim-${i}`;

/** Enrolls this process's agents, a few at a time, through control's API. */
async function enrollAll() {
  const signers = new Map();
  let controlKey;
  let next = 0;
  const lane = async () => {
    while (next < mine.length) {
      const i = mine[next++];
      const credentials = await enrollAgent(env.LOADLINE_API, env.AGENT_TOKEN, agentId(i), '0.1.0');
      controlKey = credentials.controlKey;
      signers.set(i, { agentId: credentials.agentId, sign: (text) => hmac(credentials.key, text) });
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  return { signers, controlKey };
}

const started = Date.now();
const pool = histogramPool();
const { signers, controlKey } = await enrollAll();
const verifier = { verify: (text, signature) => signatureMatches(controlKey, text, signature) };
const histogramChars = pool.flatMap((p) => [...p['2xx'], ...p['5xx']]);
send({
  type: 'ready',
  enrolled: signers.size,
  enrollMs: Date.now() - started,
  meanHistogramChars:
    histogramChars.reduce((a, h) => a + h.histogram.length, 0) / histogramChars.length,
});

/** Which run, and which shard of it, agent i has at size `agents` with `runs` runs. */
const placement = (i, runs) => ({ run: i % runs.length, shard: Math.floor(i / runs.length) });

let active = [];
const runOf = new Map();
async function heartbeats() {
  const at = Date.now();
  await Promise.all(
    active.map((i) =>
      writeHeartbeat(
        redis,
        names,
        {
          type: 'heartbeat',
          agentId: agentId(i),
          host: 'fleet-sim',
          pid: process.pid,
          version: '0.1.0',
          runId: runOf.get(i) ?? null,
          at,
          eventLoopDelayP99Ms: 0,
        },
        signers.get(i),
      ),
    ),
  );
}
setInterval(
  () => heartbeats().catch((e) => process.stderr.write(`heartbeat: ${e.message}\n`)),
  1000,
);

function intervals(i, runId, shard, second) {
  const rows = [];
  let sent = 0;
  for (let step = 0; step < STEPS; step++) {
    for (const cls of STATUS_CLASSES) {
      const { requests, histogram } = pool[step][cls][(i + second + step) % VARIANTS];
      sent += requests;
      rows.push({
        runId,
        agentId: agentId(i),
        step: `s${step}`,
        statusClass: cls,
        second,
        requests,
        errors: cls === '5xx' ? requests : 0,
        checks: 0,
        checksFailed: 0,
        late: 0,
        dropped: 0,
        histogram,
      });
    }
  }
  const generator = {
    second,
    sent,
    late: 0,
    dropped: 0,
    eventLoopDelayP99Ms: 1,
    cpu: 0.5,
  };
  return { type: 'intervals', runId, agentId: agentId(i), shard, rows, generator };
}

/** Claims, waits for the start, pushes `durationS` seconds of intervals, ends the shards. */
async function runShards({ runs, durationS }) {
  const mineNow = active;
  const starts = new Map();
  const aborts = new Map();
  const subscriptions = await Promise.all(
    runs.map((runId) =>
      SignalSubscription.open(
        redis,
        names,
        runId,
        (signal) => {
          if (signal.type === 'start') starts.set(runId, signal.startAt);
          else if (signal.type === 'abort') aborts.set(runId, signal.reason);
        },
        (line) => process.stderr.write(`${line}\n`),
        verifier,
      ),
    ),
  );
  const stats = { messages: 0, ticks: [], maxTickLateMs: 0, maxSendMs: 0, behindTicks: 0 };
  try {
    for (const i of mineNow) runOf.set(i, runs[placement(i, runs).run]);
    await Promise.all(
      mineNow.map((i) => {
        const { run, shard } = placement(i, runs);
        return sendAgentMessage(
          redis,
          names,
          { type: 'claimed', runId: runs[run], agentId: agentId(i), shard },
          signers.get(i),
          STREAMS,
        );
      }),
    );
    const waitUntil = Date.now() + Number(env.FLEET_START_S) * 1000;
    while (runs.some((r) => !starts.has(r) && !aborts.has(r)) && Date.now() < waitUntil) {
      await sleep(20);
    }
    // A run control gave up on before its start (claims too slow, say) is left to the harness
    // to report; its agents send nothing more.
    stats.notStarted = Object.fromEntries(
      runs.filter((r) => !starts.has(r)).map((r) => [r, aborts.get(r) ?? 'no start signal']),
    );
    if (starts.size === 0) return stats;
    const startAt = Math.max(...starts.values());
    for (let k = 0; k < durationS; k++) {
      const due = startAt + (k + 1) * 1000;
      await sleep(Math.max(0, due - Date.now()));
      const tickAt = Date.now();
      const second = Math.floor((startAt + k * 1000) / 1000);
      await Promise.all(
        mineNow.map((i) => {
          const { run, shard } = placement(i, runs);
          if (aborts.has(runs[run]) || !starts.has(runs[run])) return undefined;
          stats.messages++;
          return sendAgentMessage(
            redis,
            names,
            intervals(i, runs[run], shard, second),
            signers.get(i),
            STREAMS,
          );
        }),
      );
      const tickLateMs = tickAt - due;
      const sendMs = Date.now() - due;
      stats.maxTickLateMs = Math.max(stats.maxTickLateMs, tickLateMs);
      stats.maxSendMs = Math.max(stats.maxSendMs, sendMs);
      if (sendMs > BEHIND_MS) stats.behindTicks++;
      stats.ticks.push({ at: due, second, tickLateMs, sendMs });
    }
    await Promise.all(
      mineNow.map((i) => {
        const { run, shard } = placement(i, runs);
        const reason = aborts.get(runs[run]);
        return sendAgentMessage(
          redis,
          names,
          {
            type: 'shard-done',
            runId: runs[run],
            agentId: agentId(i),
            shard,
            aborted: reason !== undefined,
            ...(reason === undefined ? {} : { reason }),
          },
          signers.get(i),
          STREAMS,
        );
      }),
    );
    stats.loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
    stats.aborted = Object.fromEntries(aborts);
    return stats;
  } finally {
    for (const i of mineNow) runOf.delete(i);
    await Promise.all(subscriptions.map((s) => s.close()));
  }
}

process.on('message', (message) => {
  if (message.type === 'size') {
    active = mine.filter((i) => i < message.agents);
    heartbeats()
      .then(() => send({ type: 'sized', agents: active.length }))
      .catch((error) => send({ type: 'error', message: error.message }));
  } else if (message.type === 'run') {
    loopDelay.reset();
    runShards(message)
      .then((stats) => send({ type: 'done', stats }))
      .catch((error) => send({ type: 'error', message: error.message }));
  } else if (message.type === 'exit') {
    redis.disconnect();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
