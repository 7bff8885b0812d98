import type { IntervalRow } from '@loadline/api';
import { Aggregate, HistogramAccumulator, pointOf, type TimeSeriesPoint } from '@loadline/store';

/** The seconds a live view's update can ask for, and a little more for late rows. */
export const LIVE_SERIES_S = 8;

/** One agent's second: its counters, its rows' merged histogram and the figures of both. */
interface AgentSecond {
  counters: { requests: number; errors: number; late: number; dropped: number };
  /** the merged histogram (plain V2), for rows of this second that come later */
  merged: string;
  point: TimeSeriesPoint;
}

interface Second {
  total: Aggregate;
  steps: Map<string, Aggregate>;
  agents: Map<string, AgentSecond>;
}

/** What a live view draws per second: the run, each step, each agent. */
export interface LiveSeriesWindow {
  points: TimeSeriesPoint[];
  steps: Record<string, TimeSeriesPoint[]>;
  agents: Record<string, TimeSeriesPoint[]>;
}

/**
 * A live run's newest seconds, merged as rows are stored: what its live view's updates
 * show, the same figures ClickHouse's rows give (`timeSeries`, `timeSeriesBy`) without
 * reading and merging every agent's histograms again for every update (at a hundred
 * agents that was most of a core). Rows are merged once here, as they arrive; an agent's
 * second keeps its merged histogram compact, so a later row of it merges exactly.
 */
export class LiveSeries {
  readonly #seconds = new Map<number, Second>();
  readonly #scratch = new HistogramAccumulator();
  #newest = Number.NEGATIVE_INFINITY;

  /**
   * Adds stored rows. `plains[i]` is row i's histogram decoded (`plainOf`), undefined when
   * it has none; `cells` are the rows' histograms already merged per (second, step).
   */
  add(
    rows: readonly IntervalRow[],
    plains: ReadonlyArray<Buffer | undefined>,
    cells: ReadonlyArray<{ second: number; step: string; histograms: HistogramAccumulator }>,
  ): void {
    for (const row of rows) this.#newest = Math.max(this.#newest, row.second);
    const oldest = this.#newest - LIVE_SERIES_S + 1;
    for (const second of this.#seconds.keys()) if (second < oldest) this.#seconds.delete(second);
    const byAgent = new Map<string, number[]>();
    rows.forEach((row, i) => {
      if (row.second < oldest) return;
      const second = this.#second(row.second);
      second.total.addCounters(row, 1);
      // Rows without a step carry a shard's late and dropped sends: the run's, not a step's.
      if (row.step !== '') this.#step(second, row.step).addCounters(row, 1);
      const key = `${row.agentId}\u0000${row.second}`;
      const mine = byAgent.get(key);
      if (mine) mine.push(i);
      else byAgent.set(key, [i]);
    });
    for (const cell of cells) {
      if (cell.second < oldest) continue;
      const second = this.#second(cell.second);
      second.total.latency.addAccumulator(cell.histograms);
      this.#step(second, cell.step).latency.addAccumulator(cell.histograms);
    }
    for (const indexes of byAgent.values()) this.#addAgentRows(rows, plains, indexes);
  }

  /** The seconds from `fromSecond` on, oldest first. */
  window(fromSecond: number): LiveSeriesWindow {
    const out: LiveSeriesWindow = { points: [], steps: {}, agents: {} };
    const push = (into: Record<string, TimeSeriesPoint[]>, key: string, p: TimeSeriesPoint) => {
      const points = into[key];
      if (points) points.push(p);
      else into[key] = [p];
    };
    const seconds = [...this.#seconds.keys()].filter((s) => s >= fromSecond).sort((a, b) => a - b);
    for (const s of seconds) {
      const second = this.#seconds.get(s) as Second;
      out.points.push(pointOf(s, second.total));
      for (const [step, aggregate] of second.steps) push(out.steps, step, pointOf(s, aggregate));
      for (const [agentId, agent] of second.agents) push(out.agents, agentId, agent.point);
    }
    return out;
  }

  /** One agent's rows of one second: merged with what came of it before, figures again. */
  #addAgentRows(
    rows: readonly IntervalRow[],
    plains: ReadonlyArray<Buffer | undefined>,
    indexes: readonly number[],
  ): void {
    const first = rows[indexes[0]!]!;
    const second = this.#second(first.second);
    let agent = second.agents.get(first.agentId);
    const scratch = this.#scratch;
    scratch.reset();
    if (agent) scratch.addEncoded(agent.merged);
    const counters = agent?.counters ?? { requests: 0, errors: 0, late: 0, dropped: 0 };
    for (const i of indexes) {
      const row = rows[i]!;
      counters.requests += row.requests;
      counters.errors += row.errors;
      counters.late += row.late;
      counters.dropped += row.dropped;
      const plain = plains[i];
      if (plain) scratch.addPlain(plain);
    }
    agent = {
      counters,
      merged: scratch.toEncoded(),
      point: pointOf(first.second, { ...counters, latency: scratch }),
    };
    second.agents.set(first.agentId, agent);
  }

  #second(s: number): Second {
    let second = this.#seconds.get(s);
    if (!second) {
      second = { total: new Aggregate(), steps: new Map(), agents: new Map() };
      this.#seconds.set(s, second);
    }
    return second;
  }

  #step(second: Second, step: string): Aggregate {
    let aggregate = second.steps.get(step);
    if (!aggregate) {
      aggregate = new Aggregate();
      second.steps.set(step, aggregate);
    }
    return aggregate;
  }
}
