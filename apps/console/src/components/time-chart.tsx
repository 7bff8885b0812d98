'use client';
// A uPlot line chart over epoch seconds; data is replaced, never appended, so the
// caller's window decides how much the chart holds.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { PALETTE } from '@/lib/series';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
}

/** A moment drawn across the chart: a live rate change, say. */
export interface ChartMarker {
  /** epoch seconds (or seconds since the start, as the chart's x) */
  x: number;
  label: string;
}

const MARKER_COLOR = '#64748b';

export function TimeChart(props: {
  title: string;
  unit: string;
  series: ChartSeries[];
  /** x (epoch seconds) then one column per series; null draws a gap */
  data: (number | null)[][];
  testId?: string;
  /** x is seconds since a run's start (overlays of several runs), not epoch seconds */
  elapsed?: boolean;
  markers?: readonly ChartMarker[];
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { title, unit, series, data } = props;
  // Read by the draw hook, which outlives renders: always the latest markers.
  const markers = useRef<readonly ChartMarker[]>([]);
  markers.current = props.markers ?? [];

  // biome-ignore lint/correctness/useExhaustiveDependencies: built once; data flows in below
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: el.clientWidth || 600,
      height: 220,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ${unit}`),
        })),
      ],
      axes: [
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          // whole seconds: the data has one point a second
          incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600],
          values: (_u, ticks) =>
            ticks.map((t) =>
              props.elapsed ? elapsedLabel(t) : new Date(t * 1000).toISOString().slice(11, 19),
            ),
        },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          label: unit,
          size: 60,
        },
      ],
      scales: { x: { time: !props.elapsed } },
      hooks: { draw: [(u) => drawMarkers(u, markers.current)] },
    };
    plot.current = new uPlot(options, data as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => {
      plot.current?.setSize({ width: el.clientWidth, height: 220 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  const markerKey = markers.current.map((m) => `${m.x}:${m.label}`).join('|');
  // biome-ignore lint/correctness/useExhaustiveDependencies: redraw when the markers change
  useEffect(() => {
    // Drawn again with its data (a redraw before any data has no scales to draw axes on).
    if ((data[0]?.length ?? 0) > 0) plot.current?.setData(data as uPlot.AlignedData);
  }, [markerKey]);

  return (
    <figure
      className="chart"
      data-testid={props.testId}
      data-points={data[0]?.length ?? 0}
      data-markers={markerKey || undefined}
    >
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title} chart`} />
    </figure>
  );
}

/** A dashed vertical line and its label at each marker inside the plotted range. */
function drawMarkers(u: uPlot, list: readonly ChartMarker[]): void {
  const { ctx, bbox } = u;
  for (const marker of list) {
    const x = u.valToPos(marker.x, 'x', true);
    if (!Number.isFinite(x) || x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.save();
    ctx.strokeStyle = MARKER_COLOR;
    ctx.fillStyle = MARKER_COLOR;
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.font = `${12 * devicePixelRatio}px sans-serif`;
    ctx.fillText(marker.label, x + 4, bbox.top + 14 * devicePixelRatio);
    ctx.restore();
  }
}

/** "0:45", "12:05", "1:02:03": seconds since a run started. */
export function elapsedLabel(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/**
 * One line per key (step or agent), coloured from the shared palette. The chart is built
 * anew when the set of keys changes (uPlot fixes its series at creation).
 */
export function KeyedTimeChart(props: {
  title: string;
  unit: string;
  columns: { keys: string[]; data: (number | null)[][] };
  testId: string;
}) {
  const { keys, data } = props.columns;
  return (
    <TimeChart
      key={keys.join('|')}
      title={props.title}
      unit={props.unit}
      series={keys.map((k, i) => ({ label: k, color: PALETTE[i % PALETTE.length] as string }))}
      data={data}
      testId={props.testId}
    />
  );
}
