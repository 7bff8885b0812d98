// Samples the resident set size (VmRSS from /proc/<pid>/status) of a process and of any
// processes it started, once per interval, until stopped or the process is gone.
import { readdirSync, readFileSync } from 'node:fs';

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function rssKb(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) : null;
}

function childPids(pid) {
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {}
  return tasks.flatMap((tid) =>
    (read(`/proc/${pid}/task/${tid}/children`) ?? '').split(/\s+/).filter(Boolean),
  );
}

/** RSS in MB of `pid` plus its descendants, or null when the process is gone. */
export function treeRssMb(pid) {
  const own = rssKb(pid);
  if (own === null) return null;
  let kb = own;
  for (const child of childPids(pid)) kb += (treeRssMb(child) ?? 0) * 1024;
  return kb / 1024;
}

/** Starts sampling `pid`; `stop()` returns `[{ t, mb }]` with t in seconds since the start. */
export function sampleRss(pid, intervalMs = 1000) {
  const samples = [];
  const t0 = performance.now();
  const take = () => {
    const mb = treeRssMb(pid);
    if (mb !== null) samples.push({ t: (performance.now() - t0) / 1000, mb });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * Summarises samples of a run of `durationS`: max, the mean of an early window (10-20 s of a
 * 60 s run, i.e. the second sixth) against the last sixth, and the least-squares slope in
 * MB/min after the first sixth (start-up is excluded from both comparisons).
 */
export function summariseRss(samples, durationS) {
  const sixth = durationS / 6;
  const early = mean(samples.filter((s) => s.t >= sixth && s.t < 2 * sixth).map((s) => s.mb));
  const late = mean(
    samples.filter((s) => s.t >= durationS - sixth && s.t <= durationS).map((s) => s.mb),
  );
  const steady = samples.filter((s) => s.t >= sixth);
  let slope = null;
  if (steady.length >= 3) {
    const mt = mean(steady.map((s) => s.t));
    const mm = mean(steady.map((s) => s.mb));
    const num = steady.reduce((a, s) => a + (s.t - mt) * (s.mb - mm), 0);
    const den = steady.reduce((a, s) => a + (s.t - mt) ** 2, 0);
    slope = den > 0 ? (num / den) * 60 : null;
  }
  const growth = early && late ? late / early - 1 : null;
  return {
    samples: samples.length,
    maxMb: samples.length ? Math.max(...samples.map((s) => s.mb)) : null,
    earlyMb: early,
    lateMb: late,
    growth,
    flat: growth === null ? null : Math.abs(growth) <= 0.1,
    slopeMbPerMin: slope,
    window: { early: [sixth, 2 * sixth], late: [durationS - sixth, durationS] },
  };
}
