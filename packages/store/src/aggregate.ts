import { HistogramAccumulator } from './histogram-accumulator.js';
import type { Counters } from './schemas.js';

/** Counters summed and latencies merged over some set of interval rows. */
export class Aggregate {
  requests = 0;
  errors = 0;
  checks = 0;
  checksFailed = 0;
  late = 0;
  dropped = 0;
  /** raw rows that went in */
  rows = 0;
  readonly latency = new HistogramAccumulator();

  addCounters(c: Counters, rows: number): void {
    this.requests += c.requests;
    this.errors += c.errors;
    this.checks += c.checks;
    this.checksFailed += c.checksFailed;
    this.late += c.late;
    this.dropped += c.dropped;
    this.rows += rows;
  }

  add(other: Aggregate): void {
    this.addCounters(other, other.rows);
    this.latency.addAccumulator(other.latency);
  }

  counters(): Counters {
    const { requests, errors, checks, checksFailed, late, dropped } = this;
    return { requests, errors, checks, checksFailed, late, dropped };
  }
}

/** Aggregates keyed by whatever a query groups by (step, second, nothing). */
export class Groups<K> {
  readonly #groups = new Map<K, Aggregate>();

  get(key: K): Aggregate {
    let group = this.#groups.get(key);
    if (!group) {
      group = new Aggregate();
      this.#groups.set(key, group);
    }
    return group;
  }

  entries(): [K, Aggregate][] {
    return [...this.#groups.entries()];
  }
}
