#!/usr/bin/env node
// Loadline benchmarks against established load generators, measured in the same run.
//   node bench/run.mjs [closed|rate|stall|memory|engine|flow|k6|store|chaos|fleet-sim|capacity]... [--quick]
//     [--loadline PATH] [fleet-sim's --sizes, --duration, --viewers, --workers, --agent-rps, --profile]
// Default is every benchmark but fleet-sim (run only when named). --quick shortens every run for a smoke test (figures are then rough);
// --loadline runs another build of the CLI than apps/cli/dist/main.js.
// Prints each benchmark as it runs, then a summary table, and writes bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { capacityAccuracy } from './benchmarks/capacity.mjs';
import { chaos } from './benchmarks/chaos.mjs';
import { closed } from './benchmarks/closed.mjs';
import { engineChoice } from './benchmarks/engine.mjs';
import { fleetSim } from './benchmarks/fleet-sim.mjs';
import { flow } from './benchmarks/flow.mjs';
import { k6 } from './benchmarks/k6.mjs';
import { memory } from './benchmarks/memory.mjs';
import { rateAccuracy } from './benchmarks/rate.mjs';
import { stall } from './benchmarks/stall.mjs';
import { store } from './benchmarks/store.mjs';
import { killAll, pinning } from './lib/proc.mjs';
import { fmt, table, verdict } from './lib/table.mjs';
import { config, root } from './lib/tools.mjs';

const benchmarks = {
  closed: { title: 'closed-model throughput (nginx, 50 connections)', run: closed },
  rate: { title: 'open-model rate accuracy (nginx, 5000/s)', run: rateAccuracy },
  stall: { title: 'stall: tail latency under a periodic 500 ms stall', run: stall },
  memory: { title: 'memory: RSS over a long 20,000/s run', run: memory },
  engine: {
    title: 'engine choice: undici Pool vs raw sockets, same closed loop',
    run: engineChoice,
  },
  flow: { title: 'flow throughput: one-step scenario flow, open model, one core', run: flow },
  k6: {
    title:
      'k6 scripts unchanged: iterations/s on one core and memory per VU, beside the scenario engine',
    run: k6,
  },
  store: { title: 'results store: ingest and whole-run p99 (embedded ClickHouse)', run: store },
  chaos: {
    title: 'chaos: runs through control, agent, Redis and storage faults (real processes)',
    run: chaos,
  },
  capacity: {
    title: 'capacity plan accuracy: probe → fit → plan → validate on the demo mall',
    run: capacityAccuracy,
    explicit: true,
  },
  'fleet-sim': {
    title: 'fleet simulation: how many agents one control ingests (real control, Redis, chdb)',
    run: fleetSim,
    explicit: true,
  },
};

const usage = `usage: node bench/run.mjs [${Object.keys(benchmarks).join('|')}]... [--quick] [--loadline PATH]
  fleet-sim: [--sizes 100,300,1000,3000] [--duration 24] [--viewers 4] [--workers 2]
             [--agent-rps 10000] [--profile] (a control CPU profile, node --cpu-prof)
             [--streams 1] [--ingest-threads 0] [--control-cpus 0,1] (control's taskset CPUs)`;
let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      loadline: { type: 'string' },
      sizes: { type: 'string' },
      duration: { type: 'string' },
      viewers: { type: 'string' },
      workers: { type: 'string' },
      'agent-rps': { type: 'string' },
      streams: { type: 'string' },
      'ingest-threads': { type: 'string' },
      'control-cpus': { type: 'string' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  console.error(`${err.message}\n${usage}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(usage);
  process.exit(0);
}
const { quick } = args.values;
if (args.values.loadline) config.loadlineBin = resolve(args.values.loadline);
const names = args.positionals;
const unknown = names.filter((n) => !(n in benchmarks));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(' ')}\n${usage}`);
  process.exit(2);
}
// Benchmarks marked explicit (long, or sized by flags) run only when named.
const selected =
  names.length > 0
    ? [...new Set(names)]
    : Object.keys(benchmarks).filter((name) => !benchmarks[name].explicit);
const v = args.values;
const options = {
  sizes: v.sizes,
  duration: v.duration,
  viewers: v.viewers,
  workers: v.workers,
  agentRps: v['agent-rps'],
  streams: v.streams,
  ingestThreads: v['ingest-threads'],
  controlCpus: v['control-cpus'],
  profile: v.profile,
};

const startedAt = new Date();
const host = {
  node: process.version,
  kernel: release(),
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
};
console.log(`Loadline benchmarks${quick ? ' (--quick: short runs, rough figures)' : ''}`);
console.log(`  node ${host.node}, ${host.cpus} CPUs (${host.cpuModel}), kernel ${host.kernel}`);
console.log(
  pinning
    ? `  pinning: target on CPU ${pinning.target}, load generator on CPU ${pinning.tool} (taskset)`
    : '  pinning: off (needs taskset and 2 CPUs); figures are noisier',
);
console.log(`  loadline: ${config.loadlineBin}`);

const results = {};
let failed = false;
for (const name of selected) {
  const { title, run } = benchmarks[name];
  console.log(`\n== ${name}: ${title}`);
  const t0 = Date.now();
  try {
    results[name] = await run({ quick, options });
    if (results[name].runs?.loadline?.error) failed = true;
  } catch (err) {
    console.error(`  ${name} failed: ${err.stack ?? err}`);
    results[name] = { error: String(err.message ?? err), rows: [] };
    failed = true;
  }
  results[name].elapsedS = (Date.now() - t0) / 1000;
}

const rows = selected.flatMap((name) =>
  results[name].rows.length > 0
    ? results[name].rows.map((r) => ({ bench: name, ...r }))
    : [
        {
          bench: name,
          metric: 'ERROR',
          loadline: results[name].error,
          peer: '',
          peerValue: '',
          ratio: null,
          target: '',
          pass: null,
        },
      ],
);
console.log('\n== summary\n');
console.log(
  table(
    ['bench', 'metric', 'loadline', 'peer', 'peer value', 'ratio', 'target', 'result'],
    rows.map((r) => [
      r.bench,
      r.metric,
      r.loadline,
      r.peer,
      r.peerValue,
      fmt(r.ratio, 2),
      r.target,
      results[r.bench].runs?.loadline?.error ? 'ERROR' : verdict(r.pass),
    ]),
  ),
);

const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, 'latest.json');
const report = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  quick,
  host,
  pinning,
  loadlineBin: config.loadlineBin,
  summary: rows,
  benchmarks: results,
};
writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nresults: ${outFile}`);
killAll();
process.exitCode = failed ? 1 : 0;
