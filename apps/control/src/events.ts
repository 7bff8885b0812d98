// GET /runs/:id/events: a run's live view as Server-Sent Events, one event a second,
// until the run ends (a final `end` event) or the client goes away.
import type http from 'node:http';
import { TERMINAL_STATUSES } from '@loadline/api';
import { type controlApi, type LivePoint, LiveSnapshot, type RunEvent } from '@loadline/api/http';
import type { MetadataStore } from '@loadline/metadata';
import type { ResultStore, TimeSeriesPoint } from '@loadline/store';
import { guarded } from './api/errors.js';
import { type RunCoordinator, targetOfSecond } from './coordinator.js';
import type { RouteHandler, Wire } from './http.js';
import { LIVE_HISTORY_S, slowestAgents } from './live-series.js';

export interface RunEventsDeps {
  metadata: MetadataStore;
  store: ResultStore;
  coordinator: Pick<
    RunCoordinator,
    'liveSnapshot' | 'liveThresholds' | 'targetOf' | 'rateOf' | 'liveSeries'
  >;
}

export interface RunEventsOptions {
  intervalMs: number;
  /** seconds of per-second points the first event carries */
  windowS: number;
  /**
   * seconds the later events carry: the newest seconds only (rows for a second can still
   * arrive a few seconds late), so a client folds them into its window and each event
   * stays small however long the run.
   */
  updateWindowS: number;
}

type Snapshot = NonNullable<ReturnType<RunCoordinator['liveSnapshot']>>;

/** The live snapshot without its HdrHistogram objects (they do not survive JSON). */
export function withoutHistograms(snapshot: Snapshot): unknown {
  const strip = <T extends { histogram?: unknown }>(s: T) => {
    const { histogram: _histogram, ...rest } = s;
    return rest;
  };
  const { summary } = snapshot;
  return {
    ...snapshot,
    summary: {
      ...summary,
      total: strip(summary.total),
      steps: Object.fromEntries(Object.entries(summary.steps).map(([k, v]) => [k, strip(v)])),
    },
  };
}

export async function runEvent(
  deps: RunEventsDeps,
  runId: string,
  windowS: number,
): Promise<Wire<RunEvent>> {
  const run = await deps.metadata.getRun(runId);
  const snapshot = deps.coordinator.liveSnapshot(runId);
  const fromSecond = Math.floor(Date.now() / 1000) - windowS;
  // A run this control coordinates: its seconds as merged on ingest; otherwise (or a
  // longer window than it keeps) what ClickHouse holds, the same figures.
  const live =
    windowS <= LIVE_HISTORY_S ? deps.coordinator.liveSeries(runId, fromSecond) : undefined;
  const stored = async () => {
    const [points, steps, agents] = await Promise.all([
      deps.store.timeSeries(runId, { fromSecond }),
      deps.store.timeSeriesBy(runId, 'step', { fromSecond }),
      deps.store.timeSeriesBy(runId, 'agent', { fromSecond }),
    ]);
    return { points, steps, agents };
  };
  const { points, steps, agents } = live ?? (await stored());
  // Known while the run goes and for a while after, so the last events draw it too.
  const planned = deps.coordinator.targetOf(runId);
  const withTarget = (p: TimeSeriesPoint): LivePoint =>
    planned
      ? {
          ...p,
          target: targetOfSecond(
            planned.target,
            planned.startAt,
            planned.durationMs,
            p.second,
            planned.rateChanges,
          ),
        }
      : p;
  return {
    runId,
    status: run.status,
    abortReason: run.abortReason ?? null,
    at: Date.now(),
    final: TERMINAL_STATUSES.has(run.status),
    // Parsed with the contract's schema: the live view reads exactly what it documents.
    snapshot: snapshot ? LiveSnapshot.parse(withoutHistograms(snapshot)) : null,
    thresholds: deps.coordinator.liveThresholds(runId) ?? null,
    points: points.map(withTarget),
    steps,
    // A fleet of hundreds would make every event (and every chart) hundreds of series.
    agents: slowestAgents(agents),
    agentsReporting: Object.keys(agents).length,
    rateMultiplier: deps.coordinator.rateOf(runId)?.rateMultiplier ?? null,
    rateChanges: [...(planned?.rateChanges ?? [])],
  };
}

/**
 * A run's update event, computed once per interval for every viewer of the run: its
 * queries and merges then cost the same for one viewer or fifty. A viewer's first event
 * (the long window) is its own.
 */
class SharedUpdates {
  readonly #latest = new Map<string, { at: number; event: Promise<Wire<RunEvent>> }>();

  constructor(
    private readonly deps: RunEventsDeps,
    private readonly options: RunEventsOptions,
  ) {}

  next(runId: string): Promise<Wire<RunEvent>> {
    const now = Date.now();
    // Younger than most of an interval: a viewer ticking a little after another gets
    // the same event, one ticking a whole interval later a new one.
    const fresh = this.options.intervalMs * 0.8;
    const latest = this.#latest.get(runId);
    if (latest && now - latest.at < fresh) return latest.event;
    for (const [id, entry] of this.#latest) {
      if (now - entry.at > 10 * this.options.intervalMs) this.#latest.delete(id);
    }
    const event = runEvent(this.deps, runId, this.options.updateWindowS);
    const entry = { at: now, event };
    this.#latest.set(runId, entry);
    event.catch(() => {
      if (this.#latest.get(runId) === entry) this.#latest.delete(runId);
    });
    return event;
  }
}

function streamEvents(
  deps: RunEventsDeps,
  updates: SharedUpdates,
  runId: string,
  options: RunEventsOptions,
  res: http.ServerResponse,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform keeps compressing proxies from buffering the stream
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  res.on('close', () => {
    closed = true;
    clearTimeout(timer);
  });
  const send = (event: string, data: unknown) =>
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  let first = true;
  const tick = async () => {
    if (closed) return;
    const event = first ? await runEvent(deps, runId, options.windowS) : await updates.next(runId);
    first = false;
    if (closed) return;
    send(event.final ? 'end' : 'update', event);
    if (event.final) res.end();
    else timer = setTimeout(() => tick().catch(fail), options.intervalMs);
  };
  const fail = (error: unknown) => {
    if (closed) return;
    send('error', { message: String((error as Error)?.message ?? error) });
    res.end();
  };
  res.write('retry: 2000\n\n');
  tick().catch(fail);
}

/** The handler for `GET /runs/:id/events` (404 as problem+json for an unknown run). */
export function runEvents(
  deps: RunEventsDeps,
  options: RunEventsOptions = { intervalMs: 1000, windowS: 300, updateWindowS: 5 },
): RouteHandler<typeof controlApi.runEvents> {
  const updates = new SharedUpdates(deps, options);
  return async ({ params }) => {
    const runId = params.id as string;
    await guarded(() => deps.metadata.getRun(runId));
    return { stream: (res) => streamEvents(deps, updates, runId, options, res) };
  };
}
