'use client';
// A service's measured throughput against concurrency with the fitted USL curve over it:
// X(N) = λN / (1 + σ(N−1) + κN(N−1)). Points and curve share the concurrency axis.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface UslCurveData {
  sigma: number;
  kappa: number;
  lambda: number;
  r2: number;
  points: Array<{ concurrency: number; throughput: number }>;
}

export function uslThroughput(c: UslCurveData, n: number): number {
  return (c.lambda * n) / (1 + c.sigma * (n - 1) + c.kappa * n * (n - 1));
}

/**
 * The curve sampled on 60 concurrencies up to 1.5× the highest measured, merged with the
 * points; with a peak interval, its two bounds as flat lines across.
 */
export function uslColumns(
  curve: UslCurveData,
  peakRange?: readonly [number, number],
): (number | null)[][] {
  const max = Math.max(...curve.points.map((p) => p.concurrency), 1) * 1.5;
  const xs = new Set<number>(curve.points.map((p) => p.concurrency));
  for (let i = 1; i <= 60; i++) xs.add((max * i) / 60);
  const sorted = [...xs].sort((a, b) => a - b);
  const measured = new Map(curve.points.map((p) => [p.concurrency, p.throughput]));
  return [
    sorted,
    sorted.map((x) => measured.get(x) ?? null),
    sorted.map((x) => uslThroughput(curve, x)),
    ...(peakRange ? peakRange.map((bound) => sorted.map(() => bound)) : []),
  ];
}

export function UslChart({
  service,
  curve,
  peakRange,
}: {
  service: string;
  curve: UslCurveData;
  /** the USL peak's 95 % interval (QPS), when the fit gave one */
  peakRange?: readonly [number, number] | undefined;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const plot = new uPlot(
      {
        width: el.clientWidth || 500,
        height: 240,
        scales: { x: { time: false } },
        series: [
          { label: 'concurrency' },
          {
            label: 'measured',
            stroke: '#f97316',
            width: 0,
            points: { show: true, size: 7, fill: '#f97316' },
          },
          {
            label: `USL fit (R² ${curve.r2.toFixed(3)})`,
            stroke: '#3b82f6',
            width: 2,
            points: { show: false },
          },
          ...(peakRange
            ? ['low', 'high'].map((end) => ({
                label: `peak 95 % interval, ${end}`,
                stroke: '#94a3b8',
                width: 1,
                dash: [6, 4],
                points: { show: false },
              }))
            : []),
        ],
        axes: [
          {
            stroke: 'currentColor',
            label: 'concurrency',
            grid: { stroke: 'rgba(128,128,128,0.2)' },
          },
          {
            stroke: 'currentColor',
            label: 'QPS',
            size: 60,
            grid: { stroke: 'rgba(128,128,128,0.2)' },
          },
        ],
      },
      uslColumns(curve, peakRange) as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [curve, peakRange]);
  return (
    <figure className="chart" data-testid={`usl-chart-${service}`}>
      <figcaption>
        {service}: σ {curve.sigma.toPrecision(3)}, κ {curve.kappa.toPrecision(3)}, λ{' '}
        {curve.lambda.toPrecision(4)}
        {peakRange
          ? `; peak ${Math.round(peakRange[0])}–${Math.round(peakRange[1])} QPS (95 %)`
          : ''}
      </figcaption>
      <div
        ref={host}
        role="img"
        aria-label={`${service} throughput against concurrency with the USL fit`}
      />
    </figure>
  );
}
