import type { Histogram } from '@loadline/histogram';

/** The figures an interval report and the run report both carry. */
export interface LoadFigures {
  /** arrivals the profile scheduled (open model) */
  scheduled: number;
  requests: number;
  errors: number;
  late: number;
  dropped: number;
  targetRps: number | null;
  achievedRps: number;
  statusCodes: Record<string, number>;
  transportErrors: Record<string, number>;
  /** latency histogram (µs) */
  histogram: Histogram;
}

/** One finished interval (normally one second). Counts are of completions in it. */
export interface IntervalReport extends LoadFigures {
  index: number;
  /** epoch milliseconds */
  startMs: number;
  endMs: number;
  /** seconds since the run started, at the end of this interval */
  elapsedS: number;
  /** arrivals the profile scheduled in this interval (open model) */
  scheduled: number;
  /** latency (µs) of the responses completed in this interval */
  histogram: Histogram;
  inFlight: number;
  /** open model: arrivals waiting for a free connection (already late) */
  queued: number;
  connections: number;
  /** the generator's own saturation: event-loop delay p99 in this interval */
  eventLoopDelayP99Ms: number;
}

export interface RunReport extends LoadFigures {
  model: 'open' | 'closed';
  startedAtMs: number;
  endedAtMs: number;
  /** length of the load phase in seconds (drain excluded) */
  durationS: number;
  /** merged latency histogram (µs) of the whole run */
  histogram: Histogram;
  peakConnections: number;
  aborted: boolean;
  abortReason?: string;
}

export interface EngineEvents {
  interval: [IntervalReport];
  done: [RunReport];
}
