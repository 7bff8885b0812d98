import { performance } from 'node:perf_hooks';
import type { RunLifecycle } from './lifecycle.js';

/** Where arrival times come from: a rate profile, or a replay's planned sends. */
export interface Arrivals {
  /** length of the load phase in milliseconds */
  readonly totalMs: number;
  /** the next arrival's offset from the start (ms), or undefined when there are no more */
  next(): number | undefined;
  /** the last arrival handed out was not sent: hand it out again (after a rate change) */
  retract?(): void;
}

/** What a running dispatch offers: its arrivals changed (a new rate); ask again. */
export interface Dispatch {
  rescheduled(): void;
}

/**
 * Open-model scheduling: calls `arrive` with each arrival's intended time (and the time
 * it is dispatched at) while the load phase lasts, then ends the load phase on time.
 */
export function dispatchArrivals<Interval, Report>(
  life: RunLifecycle<Interval, Report>,
  arrivals: Arrivals,
  arrive: (intendedAt: number, now: number) => void,
): Dispatch {
  life.loadFor(arrivals.totalMs);
  let nextDue = arrivals.next();
  let timer: NodeJS.Timeout | undefined;
  const dispatchDue = (): void => {
    timer = undefined;
    if (life.phase !== 'load') return;
    const now = performance.now();
    const elapsed = now - life.t0;
    while (nextDue !== undefined && nextDue <= elapsed) {
      arrive(life.t0 + nextDue, now);
      nextDue = arrivals.next();
    }
    if (nextDue === undefined) {
      life.endLoadIn(Math.max(0, life.loadEndAt - performance.now()));
      return;
    }
    const gap = nextDue - elapsed;
    // Timers have millisecond granularity; closer than that, spin through the event
    // loop (I/O still runs between iterations) so sends leave on time.
    if (gap > 1) timer = life.later(dispatchDue, Math.floor(gap));
    else setImmediate(dispatchDue);
  };
  dispatchDue();
  return {
    rescheduled() {
      if (life.phase !== 'load' || nextDue === undefined) return;
      arrivals.retract?.();
      nextDue = arrivals.next();
      // One timer at a time: the one armed for the old next arrival goes.
      if (timer !== undefined) {
        clearTimeout(timer);
        dispatchDue();
      }
    },
  };
}
