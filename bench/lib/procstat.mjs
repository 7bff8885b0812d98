// CPU time and resident memory of one process, read from /proc (Linux).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_S = 100;

/** User + system CPU seconds `pid` has used so far, or null when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), counted from field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return null;
  }
}

/** Resident set size of `pid` in MB, or null when it is gone. */
export function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** A CPU meter: share of one core `pid` used between `mark()` and `read()`. */
export function cpuMeter(pid) {
  let from = { cpu: cpuSeconds(pid), at: Date.now() };
  return {
    mark() {
      from = { cpu: cpuSeconds(pid), at: Date.now() };
    },
    /** cores used since the mark (1 = one core busy all the time) */
    read() {
      const cpu = cpuSeconds(pid);
      const seconds = (Date.now() - from.at) / 1000;
      if (cpu === null || from.cpu === null || seconds <= 0) return null;
      return (cpu - from.cpu) / seconds;
    },
  };
}

/** CPU seconds of each thread of `pid`, summed by thread name (node's main thread is `node`). */
export function threadCpuSeconds(pid) {
  const out = {};
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The main thread (where node runs JavaScript) apart from worker threads of the same name.
      const name =
        tid === String(pid)
          ? 'main'
          : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '#');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
    } catch {}
  }
  return out;
}

/** Per thread name: cores used between two threadCpuSeconds readings `seconds` apart. */
export function threadCores(before, after, seconds) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([name, cpu]) => [name, (cpu - (before[name] ?? 0)) / seconds])
      .filter(([, cores]) => cores >= 0.005)
      .sort((a, b) => b[1] - a[1]),
  );
}

/**
 * Seconds `pid`'s main thread (where node runs JavaScript) has spent runnable but waiting
 * for a CPU (/proc/PID/schedstat): what other processes on its core took from it.
 */
export function runQueueSeconds(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return null;
  }
}
