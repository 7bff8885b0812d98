// CPU time and resident memory of one process, read from /proc (Linux).
import { readFileSync } from 'node:fs';

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
