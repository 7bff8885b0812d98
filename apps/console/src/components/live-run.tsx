'use client';
// The live view of one run: one Server-Sent Event a second from control, a window of
// the newest seconds for the charts, counters, thresholds, and Stop.
import type { TimeSeriesPoint } from '@loadline/api';
import { controlApi, type LivePoint, type LiveSnapshot, RunEvent } from '@loadline/api/http';
import { useEffect, useMemo, useState } from 'react';
import { call, hrefOf } from '@/lib/api';
import { count, ms, percent } from '@/lib/format';
import { columns, keyedColumns, lastComplete, mergeKeyedWindows, mergeWindow } from '@/lib/series';
import { useSession } from '@/lib/session';
import { StatusBadge } from './bits';
import { GuardedButton } from './guarded-button';
import { Thresholds } from './run-summary';
import { type ChartMarker, KeyedTimeChart, TimeChart } from './time-chart';

/** Seconds the charts keep: a one-hour run draws as fast as a one-minute one. */
export const WINDOW_SECONDS = 300;

const RATE = [
  { label: 'achieved/s', color: '#3b82f6' },
  { label: 'target/s', color: '#94a3b8' },
  { label: 'errors/s', color: '#ef4444' },
  { label: 'dropped/s', color: '#f59e0b' },
];
/** The latency lines every per-second chart draws, in one set of colours. */
export const LATENCY = [
  { label: 'p50', color: '#22c55e' },
  { label: 'p90', color: '#eab308' },
  { label: 'p99', color: '#f97316' },
  { label: 'max', color: '#a855f7' },
];

/** An event's data parsed with its schema; a message that does not match it is a bug to show. */
function parseEvent(data: string): RunEvent | string {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return 'a live update that is not JSON';
  }
  const parsed = RunEvent.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return `a live update that does not match its schema (${issue?.path.join('.') || 'event'}: ${issue?.message})`;
}

function useRunEvents(runId: string, onEnd: (event: RunEvent | undefined) => void) {
  const [event, setEvent] = useState<RunEvent>();
  const [points, setPoints] = useState<LivePoint[]>([]);
  const [steps, setSteps] = useState<Record<string, TimeSeriesPoint[]>>({});
  const [agents, setAgents] = useState<Record<string, TimeSeriesPoint[]>>({});
  const [connected, setConnected] = useState(false);
  const [invalid, setInvalid] = useState<string>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: one stream per run
  useEffect(() => {
    let source: EventSource;
    let ended = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const take = (message: MessageEvent<string>): RunEvent | undefined => {
      const next = parseEvent(message.data);
      if (typeof next === 'string') {
        setInvalid(next);
        return undefined;
      }
      // The final event comes after control let go of the run: keep the last live numbers.
      setEvent((previous) => ({ ...next, snapshot: next.snapshot ?? previous?.snapshot ?? null }));
      setPoints((window) => mergeWindow(window, next.points, WINDOW_SECONDS));
      setSteps((windows) => mergeKeyedWindows(windows, next.steps, WINDOW_SECONDS));
      setAgents((windows) => mergeKeyedWindows(windows, next.agents, WINDOW_SECONDS));
      return next;
    };
    // Control may restart or fail over mid-run (the run goes on): the browser retries a
    // dropped stream by itself, but gives up on an error answer (a proxy's 502 while control
    // is away), so the view opens a new stream every 2 s until the run's final event.
    const connect = () => {
      source = new EventSource(hrefOf(controlApi.runEvents, { id: runId }));
      source.onopen = () => setConnected(true);
      source.onerror = () => {
        setConnected(false);
        if (ended || source.readyState !== EventSource.CLOSED) return;
        retry = setTimeout(connect, 2000);
      };
      source.addEventListener('update', take);
      source.addEventListener('end', (message) => {
        ended = true;
        source.close();
        setConnected(false);
        onEnd(take(message as MessageEvent<string>));
      });
    };
    connect();
    return () => {
      ended = true;
      clearTimeout(retry);
      source.close();
    };
  }, [runId]);
  return { event, points, steps, agents, connected, invalid };
}

export function LiveRun({
  runId,
  environment,
  onEnd,
}: {
  runId: string;
  /** the run's environment: Stop needs run.stop there */
  environment: string;
  onEnd: () => void;
}) {
  const { needs } = useSession();
  const [stopAskedAt, setStopAskedAt] = useState<number>();
  const [stoppedAfter, setStoppedAfter] = useState<number>();
  const [stopError, setStopError] = useState<string>();
  const { event, points, steps, agents, connected, invalid } = useRunEvents(runId, (last) => {
    setStopAskedAt((asked) => {
      if (asked !== undefined && last) setStoppedAfter(last.at - asked);
      return asked;
    });
    onEnd();
  });
  const rate = useMemo(
    () => columns(points, ['requests', 'target', 'errors', 'dropped']),
    [points],
  );
  const stepP99 = useMemo(() => keyedColumns(steps, 'p99'), [steps]);
  const stepRate = useMemo(() => keyedColumns(steps, 'requests'), [steps]);
  const agentRate = useMemo(() => keyedColumns(agents, 'requests'), [agents]);
  const stepNow = useMemo(() => lastComplete(steps), [steps]);
  const agentNow = useMemo(() => lastComplete(agents), [agents]);
  const latency = useMemo(() => columns(points, ['p50', 'p90', 'p99', 'max']), [points]);
  const rateMarkers = useMemo<ChartMarker[]>(
    () =>
      (event?.rateChanges ?? []).map((c) => ({ x: c.atMs / 1000, label: `×${c.rateMultiplier}` })),
    [event?.rateChanges],
  );
  const total = event?.snapshot?.summary.total;
  // The newest second is still filling: the one before it is the last complete second.
  const latest = points.at(-2) ?? points.at(-1);

  const stop = async () => {
    setStopError(undefined);
    setStopAskedAt(Date.now());
    try {
      await call(controlApi.stopRun, { params: { id: runId } });
    } catch (error) {
      setStopAskedAt(undefined);
      setStopError((error as Error).message);
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
          {connected
            ? 'updating every second'
            : event?.final
              ? 'finished'
              : event
                ? 'control is away; reconnecting… (the run goes on)'
                : 'connecting…'}
        </span>
        {!event?.final ? (
          <GuardedButton
            className="danger"
            needs={needs('run.stop', environment)}
            onClick={stop}
            disabled={stopAskedAt !== undefined}
          >
            {stopAskedAt === undefined ? 'Stop run' : 'Stopping…'}
          </GuardedButton>
        ) : null}
      </div>
      {invalid ? (
        <p role="alert" className="problem">
          Control sent {invalid}.
        </p>
      ) : null}
      {stopError ? (
        <p role="alert" className="problem">
          Stop failed: {stopError}
        </p>
      ) : null}
      {event?.snapshot?.saturated?.length ? (
        <p role="alert" className="banner" data-testid="live-saturated">
          A load generator cannot keep up (
          {event.snapshot.saturated.map((s) => `${s.agentId}: ${s.seconds} s`).join(', ')}): this
          run will end invalid; its figures describe the generator, not the target.
        </p>
      ) : null}
      {(event?.snapshot?.storage?.behindS ?? 0) >= 3 ? (
        <p role="status" className="problem" data-testid="storage-behind">
          Storage is {event?.snapshot?.storage?.behindS} s behind:{' '}
          {count(event?.snapshot?.storage?.backlog ?? 0)} results wait in Redis and are stored when
          it catches up; the figures here lag until then.
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
          <dd data-testid="live-rate">
            {count(latest?.requests ?? 0)}/s
            {latest?.target !== undefined ? (
              <span className="muted"> of {count(Math.round(latest.target))}/s target</span>
            ) : null}
          </dd>
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
      {!event?.final && event?.rateMultiplier != null ? (
        <RateControl
          runId={runId}
          environment={environment}
          current={event.rateMultiplier}
          needs={needs('run.launch', environment)}
        />
      ) : null}
      <div className="charts">
        <TimeChart
          title="Throughput"
          unit="/s"
          series={RATE}
          data={rate}
          markers={rateMarkers}
          testId="rate-chart"
        />
        <TimeChart
          title="Latency"
          unit="ms"
          series={LATENCY}
          data={latency}
          markers={rateMarkers}
          testId="latency-chart"
        />
      </div>
      <Breakdown
        what="Step"
        now={stepNow}
        columns={STEP_COLUMNS}
        testId="live-steps"
        charts={[
          { title: 'Rate per step', unit: '/s', columns: stepRate, testId: 'step-rate-chart' },
          { title: 'p99 per step', unit: 'ms', columns: stepP99, testId: 'step-p99-chart' },
        ]}
      />
      <Breakdown
        what="Agent"
        note={agentsNote(event)}
        now={agentNow}
        columns={AGENT_COLUMNS}
        testId="live-agents"
        charts={[
          { title: 'Rate per agent', unit: '/s', columns: agentRate, testId: 'agent-rate-chart' },
        ]}
      />
      {event?.thresholds ? (
        <Thresholds results={event.thresholds} caption="Thresholds so far" />
      ) : null}
      {event?.snapshot?.guardrails ? <Guardrails states={event.snapshot.guardrails} /> : null}
    </section>
  );
}

/**
 * The run's rate while it goes: a multiple of what its scenario plans, on every agent within
 * a second. The environment's cap and the launch permission apply (control says why not).
 */
function RateControl(props: {
  runId: string;
  environment: string;
  current: number;
  /** why the signed-in user may not (undefined: they may) */
  needs: string | undefined;
}) {
  const [wanted, setWanted] = useState(props.current);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const apply = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      await call(controlApi.setRunRate, {
        params: { id: props.runId },
        body: { rateMultiplier: wanted },
      });
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="toolbar" data-testid="rate-control">
      <label htmlFor="rate-multiplier">Rate ×</label>
      <input
        id="rate-multiplier"
        type="range"
        min={0.1}
        max={5}
        step={0.1}
        value={wanted}
        onChange={(e) => setWanted(Number(e.target.value))}
      />
      <output htmlFor="rate-multiplier" data-testid="rate-wanted">
        ×{wanted.toFixed(1)}
      </output>
      <span className="muted" data-testid="rate-current">
        now ×{props.current}
      </span>
      <GuardedButton
        needs={props.needs}
        onClick={apply}
        disabled={busy || wanted === props.current}
      >
        {busy ? 'Applying…' : 'Apply rate'}
      </GuardedButton>
      {problem ? (
        <span role="alert" className="problem">
          {problem}
        </span>
      ) : null}
    </div>
  );
}

interface SecondColumn {
  header: string;
  show: (p: TimeSeriesPoint | undefined) => string;
}

const RATE_COLUMN: SecondColumn = { header: 'Rate', show: (p) => `${count(p?.requests ?? 0)}/s` };
const ERRORS_COLUMN: SecondColumn = { header: 'Errors', show: (p) => count(p?.errors ?? 0) };
const STEP_COLUMNS: SecondColumn[] = [
  RATE_COLUMN,
  ERRORS_COLUMN,
  { header: 'p50', show: (p) => ms(p?.p50) },
  { header: 'p99', show: (p) => ms(p?.p99) },
  { header: 'max', show: (p) => ms(p?.max) },
];
const AGENT_COLUMNS: SecondColumn[] = [
  RATE_COLUMN,
  ERRORS_COLUMN,
  { header: 'Late', show: (p) => count(p?.late ?? 0) },
  { header: 'Dropped', show: (p) => count(p?.dropped ?? 0) },
  { header: 'p99', show: (p) => ms(p?.p99) },
];

/** Says so when a large fleet's events carry only its slowest agents. */
function agentsNote(event: RunEvent | undefined): string | undefined {
  if (!event) return undefined;
  const shown = Object.keys(event.agents).length;
  if (event.agentsReporting <= shown) return undefined;
  return `The ${shown} slowest of ${event.agentsReporting.toLocaleString('en')} agents (highest p99 in their newest second), chosen again each second.`;
}

/** The figures per step or per agent: this second's table, then their charts over time. */
function Breakdown({
  charts,
  note,
  ...table
}: React.ComponentProps<typeof SecondTable> & {
  charts: React.ComponentProps<typeof KeyedTimeChart>[];
  note?: string | undefined;
}) {
  return (
    <>
      <h3>Per {table.what.toLowerCase()}</h3>
      {note ? (
        <p className="muted" data-testid={`${table.testId}-note`}>
          {note}
        </p>
      ) : null}
      <SecondTable {...table} />
      <div className="charts">
        {charts.map((chart) => (
          <KeyedTimeChart key={chart.testId} {...chart} />
        ))}
      </div>
    </>
  );
}

function SecondTable({
  what,
  now,
  columns,
  testId,
}: {
  what: 'Step' | 'Agent';
  now: Record<string, TimeSeriesPoint | undefined>;
  columns: SecondColumn[];
  testId: string;
}) {
  const keys = Object.keys(now).sort();
  if (keys.length === 0) return <p className="muted">No {what.toLowerCase()} has reported yet.</p>;
  return (
    <table data-testid={testId}>
      <caption className="muted">Last complete second</caption>
      <thead>
        <tr>
          <th>{what}</th>
          {columns.map((c) => (
            <th key={c.header} className="num">
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <tr key={key}>
            <td>{key}</td>
            {columns.map((c) => (
              <td key={c.header} className="num">
                {c.show(now[key])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type GuardrailState = NonNullable<LiveSnapshot['guardrails']>[number];

function Guardrails({ states }: { states: GuardrailState[] }) {
  if (states.length === 0) return <p className="muted">This scenario has no guardrails.</p>;
  return (
    <table data-testid="guardrails">
      <caption className="muted">
        Guardrails (the run aborts when one holds for its whole window)
      </caption>
      <thead>
        <tr>
          <th>Guardrail</th>
          <th className="num">Value</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {states.map((g) => (
          <tr key={g.guardrail}>
            <td>
              <code>{g.guardrail}</code>
            </td>
            <td className="num">{g.value === null ? '–' : Number(g.value.toFixed(4))}</td>
            <td className={g.holdingForS > 0 ? 'fail' : 'pass'}>
              {g.holdingForS > 0
                ? `holding ${g.holdingForS.toFixed(0)} of ${g.forS} s`
                : 'armed, clear'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
