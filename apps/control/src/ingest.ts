import type { AgentMessage, IntervalRow } from '@loadline/api';
import type { ResultsBacklog, ResultsReader } from '@loadline/queue';
import type { ResultStore } from '@loadline/store';

export interface IngestHooks {
  onRows(rows: readonly IntervalRow[]): void;
  /** every message, after its rows (if any) are stored and handed to onRows */
  onMessage(message: AgentMessage): Promise<void>;
  log(line: string): void;
}

const RECLAIM_EVERY_MS = 5000;
/** Read and not acked for this long: its reader died (a live one stores a batch in far less). */
const ABANDONED_MS = 10_000;
/** At start: whatever another reader left this long ago (a control restart takes longer). */
const ABANDONED_AT_START_MS = 2000;

/**
 * Moves agent results from the Redis stream into ClickHouse in batches. A batch is acked
 * only after it is stored: if storage is slow or down, results wait in Redis (the
 * buffer) and are redelivered, never lost. Claims and shard completions are handed to
 * the coordinator after the rows before them are stored, so a run never settles on
 * data that is still in flight.
 */
export class Ingest {
  readonly #reader: ResultsReader;
  readonly #store: ResultStore;
  readonly #hooks: IngestHooks;
  #running = false;
  #loop: Promise<void> | undefined;
  rowsStored = 0;

  constructor(reader: ResultsReader, store: ResultStore, hooks: IngestHooks) {
    this.#reader = reader;
    this.#store = store;
    this.#hooks = hooks;
  }

  async start(): Promise<void> {
    await this.#reader.ensureGroup();
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        await this.#batch();
      } catch (error) {
        this.#hooks.log(`ingest: ${(error as Error).message}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  #lastReclaim = 0;
  #rejectedSaid = 0;
  #rejectedSaidAt = 0;

  /** What is waiting in Redis to be stored (read and not acked, or not read yet). */
  backlog(): Promise<ResultsBacklog> {
    return this.#reader.backlog();
  }

  /** Messages dropped because no enrolled agent signed them: said in the log, at most every 30 s. */
  get rejected(): number {
    return this.#reader.rejected;
  }

  #sayRejected(): void {
    const rejected = this.#reader.rejected;
    if (rejected === this.#rejectedSaid || Date.now() - this.#rejectedSaidAt < 30_000) return;
    this.#hooks.log(
      `ingest: dropped ${rejected - this.#rejectedSaid} message(s) not signed by an enrolled agent (the last claimed to be ${JSON.stringify(this.#reader.lastRejected)})`,
    );
    this.#rejectedSaid = rejected;
    this.#rejectedSaidAt = Date.now();
  }

  async #batch(): Promise<void> {
    this.#sayRejected();
    // Every few seconds (first thing at start), take over what a reader that died (a
    // control killed mid-batch) read but never stored: older results first, so a run that
    // was taken over counts them before its shards' ends, which came after them.
    const due = Date.now() - this.#lastReclaim > RECLAIM_EVERY_MS;
    const reclaimed = due
      ? await this.#reader.reclaim(this.#lastReclaim === 0 ? ABANDONED_AT_START_MS : ABANDONED_MS)
      : [];
    if (reclaimed.length === 0 && due) this.#lastReclaim = Date.now();
    const batch = reclaimed.length > 0 ? reclaimed : await this.#reader.read(500, 250);
    if (batch.length === 0) return;
    const rows = batch.flatMap((m) => (m.message.type === 'intervals' ? m.message.rows : []));
    if (rows.length > 0) {
      await this.#store.insertIntervals(rows);
      this.rowsStored += rows.length;
      this.#hooks.onRows(rows);
    }
    await this.#reader.ack(batch.map((m) => m.id));
    for (const { message } of batch) await this.#hooks.onMessage(message);
  }
}
