import type { QueryParams } from './driver.js';
import type { IntervalFilter } from './schemas.js';

/** A WHERE clause and the parameters it names; values only ever travel in `params`. */
export interface Where {
  sql: string;
  params: QueryParams;
}

export interface TimeRange {
  /** inclusive, epoch s */
  from?: number | undefined;
  /** exclusive, epoch s */
  to?: number | undefined;
}

/**
 * The conditions for one run and a filter. `time` names the time column: `second` in the
 * raw table, `minute` in the rollup and marker tables (which have no agent column, so
 * callers never pass an agent filter there).
 */
export function whereRun(
  runId: string,
  filter: Omit<IntervalFilter, 'fromSecond' | 'toSecond'>,
  range: TimeRange,
  time: 'second' | 'minute',
): Where {
  const parts = ['run_id = {runId:String}'];
  const params: QueryParams = { runId };
  if (filter.steps) {
    parts.push('step IN {steps:Array(String)}');
    params.steps = filter.steps;
  }
  if (filter.statusClasses) {
    parts.push('status_class IN {statusClasses:Array(String)}');
    params.statusClasses = filter.statusClasses;
  }
  if (filter.agents) {
    if (time !== 'second') throw new Error('agent filters apply to raw rows only');
    parts.push('agent_id IN {agents:Array(String)}');
    params.agents = filter.agents;
  }
  if (range.from !== undefined) {
    parts.push(`${time} >= toDateTime({fromSecond:UInt32}, 'UTC')`);
    params.fromSecond = range.from;
  }
  if (range.to !== undefined) {
    parts.push(`${time} < toDateTime({toSecond:UInt32}, 'UTC')`);
    params.toSecond = range.to;
  }
  return { sql: parts.join(' AND '), params };
}

export interface WindowPlan {
  /** whole minutes [from, to), minute starts; absent when the window holds none */
  minutes?: TimeRange;
  /** the seconds outside whole minutes, read raw */
  edges: TimeRange[];
}

/**
 * Splits a window into whole minutes (served by rollups) and the partial minutes at its
 * edges (served by raw rows). Unbounded sides stay unbounded.
 */
export function planWindow(from?: number, to?: number): WindowPlan {
  const firstMinute = from === undefined ? undefined : Math.ceil(from / 60) * 60;
  const endMinute = to === undefined ? undefined : Math.floor(to / 60) * 60;
  if (firstMinute !== undefined && endMinute !== undefined && firstMinute >= endMinute) {
    return from !== undefined && to !== undefined && from >= to
      ? { edges: [] }
      : { edges: [{ from, to }] };
  }
  const edges: TimeRange[] = [];
  if (from !== undefined && firstMinute !== undefined && from < firstMinute) {
    edges.push({ from, to: firstMinute });
  }
  if (to !== undefined && endMinute !== undefined && endMinute < to) {
    edges.push({ from: endMinute, to });
  }
  return { minutes: { from: firstMinute, to: endMinute }, edges };
}
