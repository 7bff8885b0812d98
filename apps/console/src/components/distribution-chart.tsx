'use client';
// The classic HdrHistogram percentile distribution: x is 1/(1-p) on a log scale (so 90%,
// 99%, 99.9%… are evenly spaced and the tail gets the room), y is the latency in ms.
import { controlApi, type PercentileDistribution } from '@loadline/api/http';
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useApi } from '@/lib/api';
import { ms } from '@/lib/format';
import { Loading, Problem } from './bits';

/** Where 100% (the max) sits: one decade past 99.999%. */
const MAX_X = 6;

/** log10(1/(1-p)) for a percentile p in [0, 100]; the max goes to MAX_X. */
export function percentileX(percentile: number): number {
  const tail = 1 - percentile / 100;
  return tail <= 0 ? MAX_X : Math.min(MAX_X, Math.log10(1 / tail));
}

const TICKS: Array<{ x: number; label: string }> = [
  { x: 0, label: '0%' },
  { x: Math.log10(2), label: '50%' },
  { x: 1, label: '90%' },
  { x: 2, label: '99%' },
  { x: 3, label: '99.9%' },
  { x: 4, label: '99.99%' },
  { x: 5, label: '99.999%' },
  { x: MAX_X, label: 'max' },
];

export interface DistributionCurve {
  label: string;
  color: string;
  curve: PercentileDistribution['curve'];
}

/**
 * One or more percentile curves on the same log-scale axis. Control answers every run at
 * the same percentiles, so curves align on x; the first curve's points are the x axis.
 */
export function DistributionPlot({
  curves,
  label,
}: {
  curves: DistributionCurve[];
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    const base = curves[0]?.curve ?? [];
    if (!el || base.length === 0) return;
    const xs = base.map((p) => percentileX(p.percentile));
    const percentiles = base.map((p) => p.percentile);
    const columns = curves.map(({ curve }) =>
      percentiles.map((pc) => curve.find((p) => p.percentile === pc)?.ms ?? null),
    );
    const options: uPlot.Options = {
      width: el.clientWidth || 600,
      height: 280,
      series: [
        {
          label: 'percentile',
          value: (_u, v) => {
            if (v === null) return '–';
            const i = xs.indexOf(v);
            return i >= 0 ? `${percentiles[i]}%` : '';
          },
        },
        ...curves.map((c) => ({
          label: c.label,
          stroke: c.color,
          width: 2,
          points: { show: true, size: 6, fill: c.color },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : ms(v)),
        })),
      ],
      axes: [
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          label: 'percentile',
          splits: () => TICKS.map((t) => t.x),
          values: (_u, ticks) =>
            ticks.map((t) => TICKS.find((k) => Math.abs(k.x - t) < 1e-9)?.label ?? ''),
        },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,0.2)' },
          label: 'ms',
          size: 60,
        },
      ],
      scales: {
        x: { time: false, range: () => [0, MAX_X] },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
    };
    const plot = new uPlot(options, [xs, ...columns] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 280 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [curves]);
  return <div ref={host} role="img" aria-label={`Latency distribution of ${label} chart`} />;
}

/** A finished run's latency distribution, for all steps or one. */
export function DistributionChart({ runId, steps }: { runId: string; steps: string[] }) {
  const [step, setStep] = useState('');
  const dist = useApi(controlApi.runPercentiles, {
    params: { id: runId },
    query: { step: step || undefined },
  });
  // Only show the curve that belongs to the selected step (not the previous one while loading).
  const data = dist.data && (dist.data.step ?? '') === step ? dist.data : undefined;
  return (
    <figure
      className="chart"
      data-testid="distribution-chart"
      data-step={step}
      data-points={data?.curve.length ?? 0}
      data-state={dist.error ? 'error' : data ? 'ready' : 'loading'}
    >
      <figcaption>
        Latency by percentile{' '}
        <label className="inline-select">
          <span className="skip">Distribution of</span>
          <select
            aria-label="Distribution step"
            value={step}
            onChange={(e) => setStep(e.target.value)}
          >
            <option value="">all steps</option>
            {steps.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </figcaption>
      <Problem error={dist.error} />
      {!data && !dist.error ? <Loading what="the distribution" /> : null}
      {data && data.count === 0 ? (
        <p className="muted">No response was recorded{step ? ` for ${step}` : ''}.</p>
      ) : null}
      {data && data.count > 0 ? (
        <>
          <DistributionPlot
            curves={[{ label: step || 'all steps', color: '#2f6fde', curve: data.curve }]}
            label={step || 'all steps'}
          />
          <p className="muted hint">
            {data.count.toLocaleString('en-US')} responses, from the merged histogram; the x axis is
            1/(1−p) on a log scale.
          </p>
        </>
      ) : null}
    </figure>
  );
}
