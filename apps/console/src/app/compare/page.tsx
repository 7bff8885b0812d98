'use client';
import {
  controlApi,
  type PercentileDistribution,
  type RouteContract,
  type RunDetail,
  type RunSeries,
} from '@loadline/api/http';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useEffect, useMemo, useState } from 'react';
import { Empty, Loading, Problem, StatusBadge } from '@/components/bits';
import { DistributionPlot } from '@/components/distribution-chart';
import { StepChart } from '@/components/step-chart';
import { TimeChart } from '@/components/time-chart';
import { type ApiError, apiError, call } from '@/lib/api';
import {
  type Cell,
  compareRuns,
  METRICS,
  type Metric,
  REGRESSION,
  signedPercent,
  stepNames,
} from '@/lib/compare';
import { count, ms, when } from '@/lib/format';
import { alignByElapsed } from '@/lib/series';

const COLORS = ['#1f5fd1', '#d9480f', '#2b8a3e', '#9c36b5', '#c2255c', '#0b7285', '#e8a100'];

const HEADINGS: Record<Metric, string> = {
  requests: 'Requests',
  errorRate: 'Error rate',
  p50: 'p50',
  p90: 'p90',
  p99: 'p99',
  max: 'max',
};

export default function ComparePage() {
  return (
    <Suspense fallback={<Loading what="runs" />}>
      <Compare />
    </Suspense>
  );
}

function show(metric: Metric, value: number | null): string {
  if (value === null) return '–';
  if (metric === 'requests') return count(value);
  if (metric === 'errorRate') return `${(value * 100).toFixed(2)}%`;
  return ms(value);
}

function ValueCell({ metric, cell, baseline }: { metric: Metric; cell: Cell; baseline: boolean }) {
  const className = [
    'num',
    cell.regression ? 'regression' : '',
    cell.improvement ? 'improvement' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <td className={className} data-regression={cell.regression || undefined}>
      {show(metric, cell.value)}
      {baseline ? null : (
        <span className="delta">
          {signedPercent(cell.delta)}
          {cell.regression ? ' ▲ regression' : ''}
        </span>
      )}
    </td>
  );
}

function Compare() {
  const raw = useSearchParams().get('ids') ?? '';
  const ids = useMemo(
    () => [...new Set(raw.split(',').map((s) => s.trim()))].filter((s) => s !== ''),
    [raw],
  );
  const [runs, setRuns] = useState<RunDetail[]>();
  const [error, setError] = useState<ApiError>();
  // Per run: its seconds and its latency distribution, for the overlays.
  const [seconds, setSeconds] = useState<RunSeries[]>();
  const [distributions, setDistributions] = useState<PercentileDistribution[]>();

  useEffect(() => {
    if (ids.length < 2) return;
    let live = true;
    setRuns(undefined);
    setError(undefined);
    setSeconds(undefined);
    setDistributions(undefined);
    const each = <R extends RouteContract>(route: R) =>
      Promise.all(ids.map((id) => call(route, { params: { id } })));
    const fail = (e: unknown) => {
      if (live) setError(apiError(e));
    };
    each(controlApi.getRun)
      .then((loaded) => {
        if (live) setRuns(loaded);
      })
      .catch(fail);
    each(controlApi.runSeries)
      .then((loaded) => {
        if (live) setSeconds(loaded);
      })
      .catch(fail);
    each(controlApi.runPercentiles)
      .then((loaded) => {
        if (live) setDistributions(loaded);
      })
      .catch(fail);
    return () => {
      live = false;
    };
  }, [ids]);

  const rows = useMemo(() => (runs ? compareRuns(runs) : []), [runs]);
  const steps = useMemo(() => (runs ? stepNames(runs) : []), [runs]);
  const series = useMemo(
    () => (runs ?? []).map((r, i) => ({ label: r.id, color: COLORS[i % COLORS.length] as string })),
    [runs],
  );
  const p99s = useMemo(
    () => (runs ?? []).map((r) => steps.map((s) => r.summary?.steps[s]?.latencyMs.p99 ?? null)),
    [runs, steps],
  );
  const missing = (runs ?? []).filter((r) => !r.summary);
  const overTime = useMemo(() => {
    const perRun = (seconds ?? []).map((s) => s.series.total ?? []);
    return {
      rate: alignByElapsed(perRun, 'requests'),
      errors: alignByElapsed(perRun, 'errors'),
      p99: alignByElapsed(perRun, 'p99'),
    };
  }, [seconds]);
  const curves = useMemo(
    () =>
      (distributions ?? [])
        .map((d, i) => ({
          label: d.runId,
          color: COLORS[i % COLORS.length] as string,
          curve: d.curve,
        }))
        .filter((c) => c.curve.length > 0),
    [distributions],
  );
  const regressions = rows.filter((r) => METRICS.some((m) => r.cells[m].regression)).length;

  return (
    <>
      <p>
        <Link href="/runs">← Runs</Link>
      </p>
      <h1>Compare runs</h1>
      {ids.length < 2 ? (
        <Empty>
          Pick two or more finished runs on the <Link href="/runs">runs list</Link> and choose
          Compare.
        </Empty>
      ) : null}
      <Problem error={error} />
      {ids.length >= 2 && !runs && !error ? <Loading what={`${ids.length} runs`} /> : null}
      {runs ? (
        <>
          <table data-testid="compare-runs">
            <caption className="muted">The first run is the baseline.</caption>
            <thead>
              <tr>
                <th>Series</th>
                <th>Run</th>
                <th>Scenario</th>
                <th>Status</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r, i) => (
                <tr key={r.id}>
                  <td>
                    <span aria-hidden="true" style={{ color: series[i]?.color }}>
                      ■
                    </span>{' '}
                    {i === 0 ? 'baseline' : `run ${i + 1}`}
                  </td>
                  <td>
                    <Link href={`/runs/${r.id}`}>{r.id}</Link>
                  </td>
                  <td>
                    {r.scenario} v{r.scenarioVersion}
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>{when(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {missing.length > 0 ? (
            <p role="alert" className="problem">
              No summary yet for {missing.map((r) => r.id).join(', ')}: compare finished runs.
            </p>
          ) : null}
          <h2>Per-step deltas</h2>
          <p className="muted" role="status">
            Highlighted: p99 or error rate worse than the baseline by more than {REGRESSION * 100}%.{' '}
            {regressions === 0 ? 'No regression.' : `${regressions} row(s) regressed.`}
          </p>
          <table data-testid="compare-table">
            <thead>
              <tr>
                <th>Step</th>
                <th>Run</th>
                {METRICS.map((m) => (
                  <th key={m} className="num">
                    {HEADINGS[m]}
                  </th>
                ))}
              </tr>
            </thead>
            {[...steps, 'total'].map((step) => (
              <tbody key={step} className="step-group">
                {rows
                  .filter((r) => r.step === step)
                  .map((r) => (
                    <tr
                      key={r.runId}
                      className={r.baseline ? 'baseline' : undefined}
                      data-run={r.runId}
                    >
                      <th scope="row">{step}</th>
                      <td>
                        {r.runId}
                        {r.baseline ? <span className="delta muted">baseline</span> : null}
                      </td>
                      {METRICS.map((m) => (
                        <ValueCell key={m} metric={m} cell={r.cells[m]} baseline={r.baseline} />
                      ))}
                    </tr>
                  ))}
              </tbody>
            ))}
          </table>
          <h2>p99 per step</h2>
          {steps.length > 0 ? (
            <StepChart
              title="p99 latency per step, one line per run"
              unit="ms"
              steps={steps}
              series={series}
              values={p99s}
              testId="compare-chart"
            />
          ) : (
            <Empty>These runs have no per-step figures.</Empty>
          )}
          <h2>Latency distribution</h2>
          {curves.length > 0 ? (
            <figure
              className="chart"
              data-testid="compare-distribution"
              data-curves={curves.length}
            >
              <figcaption>Latency by percentile, one curve per run (merged histograms)</figcaption>
              <DistributionPlot curves={curves} label="the compared runs" />
            </figure>
          ) : distributions ? (
            <Empty>No response was recorded in these runs.</Empty>
          ) : (
            <Loading what="the distributions" />
          )}
          <h2>Over time</h2>
          <p className="muted">Each run from its own start: seconds since its first second.</p>
          {seconds ? (
            <div className="charts">
              <TimeChart
                elapsed
                title="Throughput"
                unit="/s"
                series={series}
                data={overTime.rate}
                testId="compare-rate-chart"
              />
              <TimeChart
                elapsed
                title="Errors"
                unit="/s"
                series={series}
                data={overTime.errors}
                testId="compare-errors-chart"
              />
              <TimeChart
                elapsed
                title="p99 latency"
                unit="ms"
                series={series}
                data={overTime.p99}
                testId="compare-p99-chart"
              />
            </div>
          ) : (
            <Loading what="the runs' seconds" />
          )}
        </>
      ) : null}
    </>
  );
}
