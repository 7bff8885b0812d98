'use client';
// A finished run's seconds, from the store: throughput and latency of the whole run, and
// p99 and rate per step and per agent. The same merged per-second histograms the live view
// drew, so the picture does not change when the run ends.
import { controlApi } from '@loadline/api/http';
import { useMemo } from 'react';
import { useApi } from '@/lib/api';
import { columns, keyedColumns } from '@/lib/series';
import { Loading, Problem } from './bits';
import { LATENCY } from './live-run';
import { KeyedTimeChart, TimeChart } from './time-chart';

const RATE = [
  { label: 'requests/s', color: '#3b82f6' },
  { label: 'errors/s', color: '#ef4444' },
  { label: 'dropped/s', color: '#f59e0b' },
];

export function RunOverTime({ runId }: { runId: string }) {
  const params = { id: runId };
  const total = useApi(controlApi.runSeries, { params });
  const steps = useApi(controlApi.runSeries, { params, query: { by: 'step' } });
  const agents = useApi(controlApi.runSeries, { params, query: { by: 'agent' } });
  const points = total.data?.series.total ?? [];
  const rate = useMemo(() => columns(points, ['requests', 'errors', 'dropped']), [points]);
  const latency = useMemo(() => columns(points, ['p50', 'p90', 'p99', 'max']), [points]);
  const stepP99 = useMemo(() => keyedColumns(steps.data?.series ?? {}, 'p99'), [steps.data]);
  const agentRate = useMemo(
    () => keyedColumns(agents.data?.series ?? {}, 'requests'),
    [agents.data],
  );
  return (
    <section aria-labelledby="over-time-heading" data-testid="run-over-time">
      <h2 id="over-time-heading">Over time</h2>
      <Problem error={total.error ?? steps.error ?? agents.error} />
      {total.loading && !total.data ? <Loading what="the run's seconds" /> : null}
      {total.data && points.length === 0 ? (
        <p className="muted">Nothing was recorded for this run.</p>
      ) : null}
      {points.length > 0 ? (
        <div className="charts">
          <TimeChart
            title="Throughput"
            unit="/s"
            series={RATE}
            data={rate}
            testId="done-rate-chart"
          />
          <TimeChart
            title="Latency"
            unit="ms"
            series={LATENCY}
            data={latency}
            testId="done-latency-chart"
          />
          <KeyedTimeChart
            title="p99 per step"
            unit="ms"
            columns={stepP99}
            testId="done-step-p99-chart"
          />
          <KeyedTimeChart
            title="Rate per agent"
            unit="/s"
            columns={agentRate}
            testId="done-agent-rate-chart"
          />
        </div>
      ) : null}
    </section>
  );
}
