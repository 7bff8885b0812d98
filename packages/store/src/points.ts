import { toMs } from '@loadline/histogram';
import type { Aggregate } from './aggregate.js';
import type { TimeSeriesPoint } from './schemas.js';

/**
 * One second's (or minute's) figures. Percentiles straight from the merged counts: the
 * same values as from the merged histogram, without building one per point (per agent
 * and second, that was most of a live view's cost).
 */
export function pointOf(
  second: number,
  aggregate: Pick<Aggregate, 'requests' | 'errors' | 'late' | 'dropped' | 'latency'>,
): TimeSeriesPoint {
  const [p50, p90, p99, max] = aggregate.latency.valuesAtPercentiles(POINT_PERCENTILES).map(toMs);
  return {
    second,
    requests: aggregate.requests,
    errors: aggregate.errors,
    p50: p50!,
    p90: p90!,
    p99: p99!,
    max: max!,
    late: aggregate.late,
    dropped: aggregate.dropped,
  };
}

const POINT_PERCENTILES = [50, 90, 99, 100];
