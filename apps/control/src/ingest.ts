import type { AgentMessage } from '@loadline/api';
import {
  backlogOf,
  type ResultsBacklog,
  type ResultsReader,
  type SignedEntry,
} from '@loadline/queue';
import type { ResultStore } from '@loadline/store';
import type { PreparedRows } from './ingest-decode.js';
import { decodeHere, type ResultsDecoder } from './ingest-threads.js';

export interface IngestHooks {
  /** a batch's stored rows, per run, their histograms merged (`prepareRows`) */
  onRows(prepared: readonly PreparedRows[]): void;
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
 * Moves agent results from the Redis streams into ClickHouse in batches. A batch is acked
 * only after it is stored: if storage is slow or down, results wait in Redis (the
 * buffer) and are redelivered, never lost. Claims and shard completions are handed to
 * the coordinator after the rows before them are stored, so a run never settles on
 * data that is still in flight. One loop per stream (LOADLINE_RESULT_STREAMS), each with
 * its own reader: an agent's messages all go to one stream, so that order holds per agent,
 * and in a Cluster no command spans two streams' slots. A batch is decoded (parsed,
 * validated, histograms merged) by `decoder`: on ingest's threads when there are some
 * (LOADLINE_INGEST_THREADS), so that streams' batches decode on other cores while this
 * thread stores and counts.
 */
export class Ingest {
  readonly #readers: readonly ResultsReader[];
  readonly #store: ResultStore;
  readonly #hooks: IngestHooks;
  readonly #decoder: ResultsDecoder;
  #running = false;
  #loops: Array<Promise<void>> = [];
  rowsStored = 0;

  constructor(
    readers: readonly ResultsReader[],
    store: ResultStore,
    hooks: IngestHooks,
    decoder: ResultsDecoder = decodeHere,
  ) {
    this.#readers = readers;
    this.#store = store;
    this.#hooks = hooks;
    this.#decoder = decoder;
  }

  async start(): Promise<void> {
    for (const reader of this.#readers) await reader.ensureGroup();
    this.#running = true;
    this.#loops = this.#readers.map((reader) => this.#run(reader));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #run(reader: ResultsReader): Promise<void> {
    const state = { lastReclaim: 0 };
    while (this.#running) {
      try {
        await this.#batch(reader, state);
      } catch (error) {
        this.#hooks.log(`ingest: ${(error as Error).message}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  #rejectedSaid = 0;
  #rejectedSaidAt = 0;

  /**
   * What is waiting in Redis to be stored (read and not acked, or not read yet), over every
   * stream: their sum (a limit on it holds each stream below its cap), the oldest of them.
   */
  backlog(): Promise<ResultsBacklog> {
    return backlogOf(this.#readers);
  }

  /** Messages dropped because no enrolled agent signed them: said in the log, at most every 30 s. */
  get rejected(): number {
    return this.#readers.reduce((sum, reader) => sum + reader.rejected, 0);
  }

  #sayRejected(): void {
    const rejected = this.rejected;
    if (rejected === this.#rejectedSaid || Date.now() - this.#rejectedSaidAt < 30_000) return;
    const last = this.#readers.find((reader) => reader.lastRejected !== undefined)?.lastRejected;
    this.#hooks.log(
      `ingest: dropped ${rejected - this.#rejectedSaid} message(s) not signed by an enrolled agent (the last claimed to be ${JSON.stringify(last)})`,
    );
    this.#rejectedSaid = rejected;
    this.#rejectedSaidAt = Date.now();
  }

  async #batch(reader: ResultsReader, state: { lastReclaim: number }): Promise<void> {
    this.#sayRejected();
    // Every few seconds (first thing at start), take over what a reader that died (a
    // control killed mid-batch) read but never stored: older results first, so a run that
    // was taken over counts them before its shards' ends, which came after them.
    const due = Date.now() - state.lastReclaim > RECLAIM_EVERY_MS;
    const reclaimed = due
      ? await reader.reclaimSigned(state.lastReclaim === 0 ? ABANDONED_AT_START_MS : ABANDONED_MS)
      : [];
    if (reclaimed.length === 0 && due) state.lastReclaim = Date.now();
    const read = reclaimed.length > 0 ? reclaimed : await reader.readSigned(500, 250);
    if (read.length === 0) return;
    const { outcomes, prepared } = await this.#decoder.decode(read);
    const batch: Array<{ id: string; message: AgentMessage }> = [];
    const malformed: SignedEntry[] = [];
    const foreign: SignedEntry[] = [];
    const invalid: SignedEntry[] = [];
    outcomes.forEach((outcome, i) => {
      const entry = read[i] as SignedEntry;
      if (outcome.kind === 'message') batch.push({ id: entry.id, message: outcome.message });
      else if (outcome.kind === 'malformed') malformed.push(entry);
      else if (outcome.kind === 'foreign') foreign.push(entry);
      else {
        // Signed by an enrolled agent, yet rows the store refuses (an agent's bug): dropped
        // and said, so they do not come back forever and hold up every result behind them.
        this.invalid++;
        this.#hooks.log(
          `ingest: dropped an intervals message of agent ${entry.agentId} (run ${outcome.runId}) the store refuses: ${outcome.reason}`,
        );
        invalid.push(entry);
      }
    });
    await reader.drop(malformed, 'malformed');
    await reader.drop(foreign, 'rejected');
    await reader.ack(invalid.map((entry) => entry.id));
    const rows = prepared.flatMap((part) => part.rows);
    // Validated as they were decoded: not once more.
    if (rows.length > 0) await this.#store.insertIntervals(rows, { validated: true });
    // Streams store in parallel, but the coordinator hears one batch at a time, as it did
    // from one stream: it never handles two agents' messages interleaved.
    await this.#inTurn(async () => {
      if (rows.length > 0) {
        this.rowsStored += rows.length;
        this.#hooks.onRows(prepared);
      }
      await reader.ack(batch.map((m) => m.id));
      for (const { message } of batch) await this.#hooks.onMessage(message);
    });
  }

  /** Messages dropped because the store refused their rows. */
  invalid = 0;

  #turn: Promise<void> = Promise.resolve();

  /** Runs `work` after every earlier caller's work ended. */
  #inTurn(work: () => Promise<void>): Promise<void> {
    const mine = this.#turn.then(work);
    this.#turn = mine.catch(() => {});
    return mine;
  }
}
