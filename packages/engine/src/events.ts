import type { Histogram } from '@loadline/histogram';

/** One finished interval (normally one second). Counts are of completions in it. */
export interface IntervalReport {
  index: number;
  /** epoch milliseconds */
  startMs: number;
  endMs: number;
  /** seconds since the run started, at the end of this interval */
  elapsedS: number;
  /** arrivals the profile scheduled in this interval (open model) */
  scheduled: number;
  requests: number;
  errors: number;
  late: number;
  dropped: number;
  targetRps: number | null;
  achievedRps: number;
  statusCodes: Record<string, number>;
  transportErrors: Record<string, number>;
  /** latency (µs) of the responses completed in this interval */
  histogram: Histogram;
  inFlight: number;
  /** open model: arrivals waiting for a free connection (already late) */
  queued: number;
  connections: number;
  /** the generator's own saturation: event-loop delay p99 in this interval */
  eventLoopDelayP99Ms: number;
}

export interface RunReport {
  model: 'open' | 'closed';
  startedAtMs: number;
  endedAtMs: number;
  /** length of the load phase in seconds (drain excluded) */
  durationS: number;
  scheduled: number;
  requests: number;
  errors: number;
  late: number;
  dropped: number;
  targetRps: number | null;
  achievedRps: number;
  statusCodes: Record<string, number>;
  transportErrors: Record<string, number>;
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
