import { Aggregate, HistogramAccumulator, pointOf, type TimeSeriesPoint } from '@loadline/store';
import { asBuffer, type MergedAgentSecond, type PreparedRows } from './ingest-decode.js';

/**
 * Seconds still open to rows: an agent's rows of a second come within a second or two
 * (each agent rotates its interval on its own), so a second is closed once it is this
 * many seconds older than the newest one seen.
 */
export const LIVE_OPEN_S = 8;
/** Closed seconds kept, as figures only: a live view's first event shows this many. */
export const LIVE_HISTORY_S = 300;

/** One agent's second: its counters, its rows' merged histogram and the figures of both. */
interface AgentSecond {
  counters: { requests: number; errors: number; late: number; dropped: number };
  /**
   * the merged histogram (plain V2), for a row of this second that comes later (holding
   * the rows' own decoded histograms instead cost twice as much, in garbage collection)
   */
  merged: Buffer | undefined;
  point: TimeSeriesPoint;
}

/** A second still open to rows: merged histograms. */
interface OpenSecond {
  total: Aggregate;
  steps: Map<string, Aggregate>;
  agents: Map<string, AgentSecond>;
}

/** A closed second: its figures (a few numbers each, where an open one holds histograms). */
interface ClosedSecond {
  total: TimeSeriesPoint;
  steps: Map<string, TimeSeriesPoint>;
  agents: Map<string, TimeSeriesPoint>;
}

/** What a live view draws per second: the run, each step, each agent. */
export interface LiveSeriesWindow {
  points: TimeSeriesPoint[];
  steps: Record<string, TimeSeriesPoint[]>;
  agents: Record<string, TimeSeriesPoint[]>;
}

/**
 * A live run's seconds per run, step and agent, merged as rows are stored: what its live
 * view shows, the same figures ClickHouse's rows give (`timeSeries`, `timeSeriesBy`),
 * without reading and merging every agent's histograms again for every viewer and event
 * (at a thousand agents, one viewer's first event cost seconds of control's CPU). Rows
 * are merged once, as they arrive; an agent's second keeps its merged histogram compact,
 * so a later row of it merges exactly. A row of a second closed already (more than
 * LIVE_OPEN_S behind the newest) is counted in ClickHouse and the run's totals, not here.
 */
export class LiveSeries {
  readonly #open = new Map<number, OpenSecond>();
  readonly #closed = new Map<number, ClosedSecond>();
  readonly #scratch = new HistogramAccumulator();
  #newest = Number.NEGATIVE_INFINITY;

  /** Adds stored rows of its run, prepared (`prepareRows`). */
  add(prepared: PreparedRows): void {
    for (const row of prepared.rows) if (row.second > this.#newest) this.#newest = row.second;
    this.#close();
    const oldest = this.#newest - LIVE_OPEN_S + 1;
    for (const row of prepared.rows) {
      if (row.second < oldest) continue;
      const second = this.#second(row.second);
      second.total.addCounters(row, 1);
      // Rows without a step carry a shard's late and dropped sends: the run's, not a step's.
      if (row.step !== '') this.#step(second, row.step).addCounters(row, 1);
    }
    for (const cell of prepared.cells) {
      if (cell.second < oldest) continue;
      const second = this.#second(cell.second);
      const plain = asBuffer(cell.plain);
      second.total.latency.addPlain(plain);
      if (cell.step !== '') this.#step(second, cell.step).latency.addPlain(plain);
    }
    for (const agentSecond of prepared.agentSeconds) {
      if (agentSecond.second >= oldest) this.#addAgentSecond(agentSecond);
    }
  }

  /** The seconds from `fromSecond` on, oldest first. */
  window(fromSecond: number): LiveSeriesWindow {
    const out: LiveSeriesWindow = { points: [], steps: {}, agents: {} };
    const push = (into: Record<string, TimeSeriesPoint[]>, key: string, p: TimeSeriesPoint) => {
      const points = into[key];
      if (points) points.push(p);
      else into[key] = [p];
    };
    const seconds = [...this.#closed.keys(), ...this.#open.keys()]
      .filter((s) => s >= fromSecond)
      .sort((a, b) => a - b);
    for (const s of seconds) {
      const second = this.#closed.get(s) ?? this.#figures(s, this.#open.get(s) as OpenSecond);
      out.points.push(second.total);
      for (const [step, point] of second.steps) push(out.steps, step, point);
      for (const [agentId, point] of second.agents) push(out.agents, agentId, point);
    }
    return out;
  }

  /** Open seconds too old now become figures; figures older than the history go. */
  #close(): void {
    for (const [s, second] of this.#open) {
      if (s > this.#newest - LIVE_OPEN_S) continue;
      this.#open.delete(s);
      this.#closed.set(s, this.#figures(s, second));
    }
    for (const s of this.#closed.keys()) {
      if (s <= this.#newest - LIVE_HISTORY_S) this.#closed.delete(s);
    }
  }

  #figures(s: number, second: OpenSecond): ClosedSecond {
    const steps = new Map<string, TimeSeriesPoint>();
    for (const [step, aggregate] of second.steps) steps.set(step, pointOf(s, aggregate));
    const agents = new Map<string, TimeSeriesPoint>();
    for (const [agentId, agent] of second.agents) agents.set(agentId, agent.point);
    return { total: pointOf(s, second.total), steps, agents };
  }

  /** One agent's rows of one second: merged with what came of it before, figures again. */
  #addAgentSecond(rows: MergedAgentSecond): void {
    const second = this.#second(rows.second);
    const known = second.agents.get(rows.agentId);
    const plain = rows.plain && asBuffer(rows.plain);
    if (!known) {
      const { requests, errors, late, dropped, point } = rows;
      second.agents.set(rows.agentId, {
        counters: { requests, errors, late, dropped },
        merged: plain,
        point,
      });
      return;
    }
    const counters = known.counters;
    counters.requests += rows.requests;
    counters.errors += rows.errors;
    counters.late += rows.late;
    counters.dropped += rows.dropped;
    const scratch = this.#scratch;
    scratch.reset();
    if (known.merged) scratch.addPlain(known.merged);
    if (plain) scratch.addPlain(plain);
    const point = pointOf(rows.second, { ...counters, latency: scratch });
    second.agents.set(rows.agentId, { counters, merged: scratch.toPlain(), point });
  }

  #second(s: number): OpenSecond {
    let second = this.#open.get(s);
    if (!second) {
      second = { total: new Aggregate(), steps: new Map(), agents: new Map() };
      this.#open.set(s, second);
    }
    return second;
  }

  #step(second: OpenSecond, step: string): Aggregate {
    let aggregate = second.steps.get(step);
    if (!aggregate) {
      aggregate = new Aggregate();
      second.steps.set(step, aggregate);
    }
    return aggregate;
  }
}

/** How many agents' series a live event carries at most. */
export const LIVE_AGENTS_SHOWN = 50;

/**
 * The `limit` slowest agents' series: ranked by the p99 of each one's newest point, then by
 * its late and dropped sends, then by id (a stable order for equal agents). All of them
 * when there are no more than `limit`.
 */
export function slowestAgents(
  agents: Record<string, TimeSeriesPoint[]>,
  limit = LIVE_AGENTS_SHOWN,
): Record<string, TimeSeriesPoint[]> {
  const ids = Object.keys(agents);
  if (ids.length <= limit) return agents;
  const newest = (id: string) => agents[id]?.at(-1);
  const ranked = ids.sort((a, b) => {
    const [x, y] = [newest(a), newest(b)];
    return (
      (y?.p99 ?? 0) - (x?.p99 ?? 0) ||
      (y ? y.late + y.dropped : 0) - (x ? x.late + x.dropped : 0) ||
      (a < b ? -1 : a > b ? 1 : 0)
    );
  });
  return Object.fromEntries(ranked.slice(0, limit).map((id) => [id, agents[id] ?? []]));
}
