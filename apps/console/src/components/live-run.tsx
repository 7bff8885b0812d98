'use client';
// The live view of one run: one Server-Sent Event a second from control, a window of
// the newest seconds for the charts, counters, thresholds, and Stop.
import { useEffect, useMemo, useState } from 'react';
import { API, ApiError, apiCall } from '@/lib/api';
import { count, ms, percent } from '@/lib/format';
import { columns, mergeWindow } from '@/lib/series';
import type { RunEvent, SeriesPoint } from '@/lib/types';
import { StatusBadge } from './bits';
import { Thresholds } from './run-summary';
import { TimeChart } from './time-chart';

/** Seconds the charts keep: a one-hour run draws as fast as a one-minute one. */
export const WINDOW_SECONDS = 300;

const RATE = [
  { label: 'requests/s', color: '#3b82f6' },
  { label: 'errors/s', color: '#ef4444' },
];
const LATENCY = [
  { label: 'p50', color: '#22c55e' },
  { label: 'p90', color: '#eab308' },
  { label: 'p99', color: '#f97316' },
  { label: 'max', color: '#a855f7' },
];

function useRunEvents(runId: string, onEnd: (event: RunEvent) => void) {
  const [event, setEvent] = useState<RunEvent>();
  const [points, setPoints] = useState<SeriesPoint[]>([]);
  const [connected, setConnected] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: one stream per run
  useEffect(() => {
    const source = new EventSource(`${API}/runs/${encodeURIComponent(runId)}/events`);
    const take = (message: MessageEvent<string>) => {
      const next = JSON.parse(message.data) as RunEvent;
      // The final event comes after control let go of the run: keep the last live numbers.
      setEvent((previous) => ({ ...next, snapshot: next.snapshot ?? previous?.snapshot ?? null }));
      setPoints((window) => mergeWindow(window, next.points, WINDOW_SECONDS));
      return next;
    };
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener('update', take);
    source.addEventListener('end', (message) => {
      source.close();
      setConnected(false);
      onEnd(take(message as MessageEvent<string>));
    });
    return () => source.close();
  }, [runId]);
  return { event, points, connected };
}

export function LiveRun({ runId, onEnd }: { runId: string; onEnd: () => void }) {
  const [stopAskedAt, setStopAskedAt] = useState<number>();
  const [stoppedAfter, setStoppedAfter] = useState<number>();
  const [stopError, setStopError] = useState<string>();
  const { event, points, connected } = useRunEvents(runId, (last) => {
    setStopAskedAt((asked) => {
      if (asked !== undefined) setStoppedAfter(last.at - asked);
      return asked;
    });
    onEnd();
  });
  const rate = useMemo(() => columns(points, ['requests', 'errors']), [points]);
  const latency = useMemo(() => columns(points, ['p50', 'p90', 'p99', 'max']), [points]);
  const total = event?.snapshot?.summary.total;
  const latest = points.at(-1);

  const stop = async () => {
    setStopError(undefined);
    setStopAskedAt(Date.now());
    try {
      await apiCall('POST', `/runs/${encodeURIComponent(runId)}/stop`, {});
    } catch (error) {
      setStopAskedAt(undefined);
      setStopError(error instanceof ApiError ? error.message : String(error));
    }
  };

  return (
    <section aria-labelledby="live-heading" data-testid="live-run">
      <div className="toolbar">
        <h2 id="live-heading" style={{ margin: 0 }}>
          Live
        </h2>
        {event ? <StatusBadge status={event.status} /> : null}
        <span className="muted" aria-live="polite">
          {connected ? 'updating every second' : event?.final ? 'finished' : 'connecting…'}
        </span>
        {!event?.final ? (
          <button
            type="button"
            className="danger"
            onClick={stop}
            disabled={stopAskedAt !== undefined}
          >
            {stopAskedAt === undefined ? 'Stop run' : 'Stopping…'}
          </button>
        ) : null}
      </div>
      {stopError ? (
        <p role="alert" className="problem">
          Stop failed: {stopError}
        </p>
      ) : null}
      {stoppedAfter !== undefined && event?.final ? (
        <p role="status" className="ok-note" data-testid="stopped-note">
          Stopped: every agent stopped, the run ended {(stoppedAfter / 1000).toFixed(1)} s after
          Stop.
        </p>
      ) : null}
      <dl className="cards">
        <div className="card">
          <dt>Requests</dt>
          <dd data-testid="live-requests">{count(total?.requests ?? 0)}</dd>
        </div>
        <div className="card">
          <dt>Rate (last second)</dt>
          <dd>{count(latest?.requests ?? 0)}/s</dd>
        </div>
        <div className="card">
          <dt>Errors</dt>
          <dd>
            {count(total?.errors ?? 0)} ({percent(total?.errors ?? 0, total?.requests ?? 0)})
          </dd>
        </div>
        <div className="card">
          <dt>p99 so far</dt>
          <dd>{ms(total?.latencyMs.p99)}</dd>
        </div>
        <div className="card">
          <dt>Agents</dt>
          <dd>
            {event?.snapshot
              ? `${event.snapshot.agents.claimed}/${event.snapshot.agents.requested}`
              : '–'}
          </dd>
        </div>
      </dl>
      <div className="charts">
        <TimeChart title="Throughput" unit="/s" series={RATE} data={rate} testId="rate-chart" />
        <TimeChart
          title="Latency"
          unit="ms"
          series={LATENCY}
          data={latency}
          testId="latency-chart"
        />
      </div>
      {event?.thresholds ? (
        <Thresholds results={event.thresholds} caption="Thresholds so far" />
      ) : null}
    </section>
  );
}
