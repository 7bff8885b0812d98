import type { SeriesPoint } from './types';

/**
 * Folds the latest per-second points into a window: a second seen again is replaced
 * (its late rows arrived), and only the newest `max` seconds are kept, so a one-hour run
 * holds as much memory as a one-minute one.
 */
export function mergeWindow(
  window: readonly SeriesPoint[],
  incoming: readonly SeriesPoint[],
  max: number,
): SeriesPoint[] {
  const bySecond = new Map<number, SeriesPoint>();
  for (const p of window) bySecond.set(p.second, p);
  for (const p of incoming) bySecond.set(p.second, p);
  const merged = [...bySecond.values()].sort((a, b) => a.second - b.second);
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}

/** Columns for a chart: x in epoch seconds, then one array per series. */
export function columns(
  points: readonly SeriesPoint[],
  keys: ReadonlyArray<keyof SeriesPoint>,
): number[][] {
  return [points.map((p) => p.second), ...keys.map((k) => points.map((p) => p[k]))];
}
