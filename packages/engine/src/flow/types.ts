import type { GeneratorReading, IntervalRow, ReplayModel } from '@loadline/api';
import type { RateProfile } from '../schedule.js';
import type { CompiledPlan } from './compile.js';
import type { StepTable } from './step-stats.js';

// The flow runner's public types: its load model, options, intervals and report.

export type FlowModel =
  | { kind: 'open'; profile: RateProfile; maxInFlight: number }
  | { kind: 'closed'; vus: number; durationMs: number }
  /** Replay: each planned send at its time, the plan from compileReplay (one flow per step). */
  | ReplayModel;

export interface FlowRunOptions {
  plan: CompiledPlan;
  model: FlowModel;
  runId: string;
  agentId?: string;
  /** epoch ms at which to start (all shards of a run start together); default now */
  startAt?: number;
  /**
   * The run's clock (control's) minus this process's clock, in ms: `startAt` is read on the
   * run's clock and intervals and the report are stamped on it, so agents whose clocks differ
   * start together and their seconds line up. Default 0 (one machine).
   */
  clockOffsetMs?: number;
  /** headers added to every request (the shadow tag, for one) */
  extraHeaders?: ReadonlyArray<readonly [string, string]>;
  timeoutMs?: number;
  gracefulStopMs?: number;
  lateThresholdMs?: number;
  intervalMs?: number;
  insecure?: boolean;
}

export interface FlowInterval {
  index: number;
  startMs: number;
  endMs: number;
  /** epoch second the interval starts in: the row key in storage */
  second: number;
  rows: IntervalRow[];
  table: StepTable;
  activeIterations: number;
  connections: number;
  eventLoopDelayP99Ms: number;
  /** this generator's own saturation over the interval */
  generator: GeneratorReading;
}

export interface FlowReport {
  runId: string;
  startedAtMs: number;
  endedAtMs: number;
  /** load phase in seconds (drain excluded) */
  durationS: number;
  totals: StepTable;
  intendedMix: Record<string, number>;
  achievedMix: Record<string, number>;
  peakConnections: number;
  aborted: boolean;
  abortReason?: string;
}

export interface FlowEvents {
  interval: [FlowInterval];
  done: [FlowReport];
}
