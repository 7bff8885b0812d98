import type { LivePoint } from '@loadline/api/http';

/** A point of any per-second series: the stored ones, or the live ones with their target. */
type SeriesPoint = LivePoint;

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
  // A second seen again takes the newer counts; a field the newer point lacks (the target,
  // once control has let go of a finished run) keeps its earlier value.
  for (const p of incoming) bySecond.set(p.second, { ...bySecond.get(p.second), ...p });
  const merged = [...bySecond.values()].sort((a, b) => a.second - b.second);
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}

/** Columns for a chart: x in epoch seconds, then one array per series. */
export function columns(
  points: readonly SeriesPoint[],
  keys: ReadonlyArray<keyof SeriesPoint>,
): (number | null)[][] {
  return [points.map((p) => p.second), ...keys.map((k) => points.map((p) => p[k] ?? null))];
}

/** mergeWindow for each key (step or agent); keys not seen for `max` seconds drop out. */
export function mergeKeyedWindows(
  windows: Readonly<Record<string, readonly SeriesPoint[]>>,
  incoming: Readonly<Record<string, readonly SeriesPoint[]>> | undefined,
  max: number,
): Record<string, SeriesPoint[]> {
  const out: Record<string, SeriesPoint[]> = {};
  const keys = new Set([...Object.keys(windows), ...Object.keys(incoming ?? {})]);
  let newest = 0;
  for (const key of keys) {
    out[key] = mergeWindow(windows[key] ?? [], incoming?.[key] ?? [], max);
    newest = Math.max(newest, out[key].at(-1)?.second ?? 0);
  }
  for (const key of keys) {
    if ((out[key]?.at(-1)?.second ?? 0) <= newest - max) delete out[key];
  }
  return out;
}

/**
 * Columns for one chart line per key (step or agent) of one field: x is the union of the
 * seconds; a key without a point in a second draws a gap there (null), not a zero.
 */
export function keyedColumns(
  byKey: Readonly<Record<string, readonly SeriesPoint[]>>,
  field: keyof SeriesPoint,
): { keys: string[]; data: (number | null)[][] } {
  const keys = Object.keys(byKey).sort();
  const seconds = [...new Set(keys.flatMap((k) => (byKey[k] ?? []).map((p) => p.second)))].sort(
    (a, b) => a - b,
  );
  const data: (number | null)[][] = [seconds];
  for (const key of keys) {
    const at = new Map((byKey[key] ?? []).map((p) => [p.second, p[field] ?? null] as const));
    data.push(seconds.map((second) => at.get(second) ?? null));
  }
  return { keys, data };
}

/** The newest complete second of each key: a live table's "last second" row. */
export function lastComplete(
  byKey: Readonly<Record<string, readonly SeriesPoint[]>>,
): Record<string, SeriesPoint | undefined> {
  // The newest second is usually still filling (agents push once a second): show the one before.
  return Object.fromEntries(
    Object.entries(byKey).map(([key, points]) => [key, points.at(-2) ?? points.at(-1)]),
  );
}

/** A fixed palette for lines per key, distinguishable in light and dark themes. */
export const PALETTE = [
  '#3b82f6',
  '#f97316',
  '#22c55e',
  '#a855f7',
  '#ef4444',
  '#14b8a6',
  '#eab308',
  '#ec4899',
  '#64748b',
  '#84cc16',
];

/**
 * Runs overlaid on one chart: each run's seconds counted from its own first second, one
 * column per run on the union of elapsed seconds (null where a run has no point).
 */
export function alignByElapsed(
  runs: ReadonlyArray<readonly SeriesPoint[]>,
  field: keyof SeriesPoint,
): (number | null)[][] {
  const starts = runs.map((points) => points[0]?.second ?? 0);
  const byElapsed = runs.map(
    (points, i) =>
      new Map(points.map((p) => [p.second - (starts[i] as number), p[field] ?? null] as const)),
  );
  const xs = [...new Set(byElapsed.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  return [xs, ...byElapsed.map((m) => xs.map((x) => m.get(x) ?? null))];
}
