import { createLatencyHistogram, type Histogram, recordLatencyUs } from '@loadline/histogram';
import type { LoadFigures } from './events.js';

/** The counts an interval and a whole run both keep. */
export class Counts {
  requests = 0;
  errors = 0;
  late = 0;
  dropped = 0;
  scheduled = 0;
  readonly statusCounts = new Float64Array(600);
  readonly transportErrors = new Map<string, number>();
  readonly histogram: Histogram = createLatencyHistogram();
}

/**
 * Counts for one interval. Status codes live in a flat array indexed by code so the hot
 * path is an increment, not a map lookup; they become a plain object when reported.
 */
export class IntervalCounters extends Counts {
  recordResponse(statusCode: number, latencyUs: number): void {
    this.requests++;
    this.statusCounts[statusCode] = (this.statusCounts[statusCode] as number) + 1;
    if (statusCode >= 400) this.errors++;
    recordLatencyUs(this.histogram, latencyUs);
  }

  recordTransportErrors(code: string, count: number): void {
    this.requests += count;
    this.errors += count;
    this.transportErrors.set(code, (this.transportErrors.get(code) ?? 0) + count);
  }
}

export function statusCodesOf(counts: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let code = 100; code < counts.length; code++) {
    const n = counts[code] as number;
    if (n > 0) out[String(code)] = n;
  }
  return out;
}

/** Run-wide totals, folded in from each finished interval (histograms merge exactly). */
export class RunTotals extends Counts {
  add(interval: IntervalCounters): void {
    this.requests += interval.requests;
    this.errors += interval.errors;
    this.late += interval.late;
    this.dropped += interval.dropped;
    this.scheduled += interval.scheduled;
    for (let code = 100; code < 600; code++) {
      const n = interval.statusCounts[code] as number;
      if (n > 0) this.statusCounts[code] = (this.statusCounts[code] as number) + n;
    }
    for (const [code, n] of interval.transportErrors) {
      this.transportErrors.set(code, (this.transportErrors.get(code) ?? 0) + n);
    }
    this.histogram.add(interval.histogram);
  }
}

/**
 * A count per second, to the micro-unit: a length measured in float milliseconds must not
 * turn 1,000 sends in one second into 999.9999999999999 a second.
 */
const perSecond = (count: number, lengthS: number) => Math.round((count / lengthS) * 1e6) / 1e6;

/** The figures an interval report and a run report share, over `lengthS` seconds. */
export function figuresOf(counts: Counts, lengthS: number, open: boolean): LoadFigures {
  return {
    scheduled: counts.scheduled,
    requests: counts.requests,
    errors: counts.errors,
    late: counts.late,
    dropped: counts.dropped,
    targetRps: open ? perSecond(counts.scheduled, lengthS) : null,
    achievedRps: perSecond(counts.requests, lengthS),
    statusCodes: statusCodesOf(counts.statusCounts),
    transportErrors: Object.fromEntries(counts.transportErrors),
    histogram: counts.histogram,
  };
}
