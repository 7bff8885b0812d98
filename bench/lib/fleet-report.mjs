// The fleet simulation's console table.
import { fmt, table, verdict } from './table.mjs';

/** "node 45 %, chdb pool 30 %, ...": the busiest thread groups of a threadCores reading. */
export function describeThreads(threads) {
  return Object.entries(threads)
    .slice(0, 6)
    .map(([name, cores]) => `${name} ${fmt(cores * 100)} %`)
    .join(', ');
}

export function report(results, viewerCount, startS) {
  const headers = [
    'agents',
    'lag max',
    `lag +${viewerCount} viewers`,
    'backlog',
    'rows/s',
    'drain rows/s',
    'ctl CPU',
    'ms/msg',
    'CPU wait',
    'ctl RSS',
    '+/viewer',
    'redis',
    'stored',
    'simulator',
    'verdict',
  ];
  const row = (r) => [
    fmt(r.agents),
    `${r.maxLagS.toFixed(2)} s`,
    `${r.maxLagViewedS.toFixed(2)} s`,
    fmt(r.maxBacklog),
    `${fmt(r.rowsPerS)} / ${fmt(r.expectedRowsPerS)}`,
    r.drained ? fmt(r.drainRowsPerS) : `${fmt(r.drainRowsPerS)} (left)`,
    `${fmt(r.controlCores * 100)} %`,
    fmt(r.cpuMsPerMessage, 2),
    `${fmt(r.waitedShare * 100)} %`,
    `${fmt(r.maxRssMb)} MB`,
    r.perViewerCores === null ? 'n/a' : `${fmt(r.perViewerCores * 100, 1)} %`,
    `${fmt(r.redisCores * 100)} % ${fmt(r.maxRedisMb)} MB`,
    r.allStored ? 'all' : `${fmt(r.storedMessages)}/${fmt(r.sentMessages + 2 * r.agents)}`,
    r.simOnTime ? 'on time' : `behind ${r.simBehindTicks}`,
    verdict(r.pass),
  ];
  const notStarted = (r) => [
    fmt(r.agents),
    `runs not running ${startS} s after launch`,
    ...headers.slice(2, -1).map(() => ''),
    verdict(false),
  ];
  return table(
    headers,
    results.map((r) => (r.started ? row(r) : notStarted(r))),
  );
}
