'use client';
// A uPlot chart with one point per step (x is the step's index, labelled by its name) and
// one series per run, so runs overlay one another.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartSeries } from './time-chart';

export function StepChart(props: {
  title: string;
  unit: string;
  steps: string[];
  series: ChartSeries[];
  /** one array per series, aligned with `steps`; null where a run has no such step */
  values: Array<Array<number | null>>;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const { title, unit, steps, series, values } = props;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: el.clientWidth || 600,
      height: 260,
      series: [
        { label: 'step', value: (_u, v) => steps[v] ?? '' },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: undefined,
          width: 2,
          points: { show: true, size: 8, fill: s.color },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v.toFixed(1)} ${unit}`),
        })),
      ],
      axes: [
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          incrs: [1],
          values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (steps[t] ?? '') : '')),
        },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          label: unit,
          size: 60,
        },
      ],
      scales: {
        x: { time: false, range: () => [-0.5, Math.max(steps.length - 0.5, 0.5)] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
    };
    const data = [steps.map((_, i) => i), ...values] as uPlot.AlignedData;
    const plot = new uPlot(options, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [steps, series, values, unit]);

  return (
    <figure className="chart" data-testid={props.testId} data-series={series.length}>
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title} chart`} />
    </figure>
  );
}
