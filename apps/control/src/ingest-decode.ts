import { type AgentMessage, type IntervalRow, signedAgentMessage } from '@loadline/api';
import {
  HistogramAccumulator,
  InvalidIntervalRowsError,
  plainOf,
  pointOf,
  type TimeSeriesPoint,
  validateIntervalRows,
} from '@loadline/store/decode';

// What ingest does to a batch of results before it stores them, apart from Redis and
// ClickHouse: parse, validate, decode the histograms and merge them per cell and per agent
// second. Pure and self-contained, so that it runs the same on control's main thread or on
// one of its ingest threads (LOADLINE_INGEST_THREADS), whose work crosses as plain data.

/** A results-stream entry whose signature control checked: the text its agent signed. */
export interface SignedText {
  agentId: string;
  text: string;
}

/** What became of one entry. */
export type EntryOutcome =
  | { kind: 'message'; message: AgentMessage }
  /** no message of any known shape */
  | { kind: 'malformed' }
  /** a message speaking for another agent than the one that signed it */
  | { kind: 'foreign' }
  /** intervals the store refuses (an agent's bug): never stored, said why */
  | { kind: 'invalid'; runId: string; reason: string };

/** The rows' histograms merged per (second, step, status class): plain V2. */
export interface MergedCell {
  second: number;
  step: string;
  statusClass: IntervalRow['statusClass'];
  plain: Uint8Array;
}

/** One agent's rows of one second: counters, merged histogram, and their figures. */
export interface MergedAgentSecond {
  agentId: string;
  second: number;
  requests: number;
  errors: number;
  late: number;
  dropped: number;
  /** undefined when none of its rows has a histogram */
  plain: Uint8Array | undefined;
  point: TimeSeriesPoint;
}

/** One run's rows of a batch with their histograms merged, ready to add to its live view. */
export interface PreparedRows {
  runId: string;
  rows: IntervalRow[];
  cells: MergedCell[];
  agentSeconds: MergedAgentSecond[];
}

export interface DecodedEntries {
  /** per entry, in order */
  outcomes: EntryOutcome[];
  /** the rows of every intervals message kept, per run */
  prepared: PreparedRows[];
}

/** Parses, validates and prepares signed entries: what ingest does to a batch first. */
export function decodeEntries(entries: readonly SignedText[]): DecodedEntries {
  const rows: IntervalRow[] = [];
  const plains = new Map<IntervalRow, Buffer | undefined>();
  const outcomes = entries.map(({ agentId, text }): EntryOutcome => {
    const read = signedAgentMessage(agentId, text);
    if (!('message' in read)) return { kind: read.problem };
    const { message } = read;
    if (message.type === 'intervals') {
      try {
        validateIntervalRows(message.rows);
      } catch (error) {
        if (!(error instanceof InvalidIntervalRowsError)) throw error;
        return { kind: 'invalid', runId: message.runId, reason: error.message };
      }
      // Decoded here, per message: a histogram whose header is right but whose counts do
      // not inflate is this message's fault, not its whole batch's (which would come back
      // forever and hold up its stream).
      try {
        for (const row of message.rows) plains.set(row, plainOfRow(row));
      } catch (error) {
        return {
          kind: 'invalid',
          runId: message.runId,
          reason: `a histogram does not decode (${(error as Error).message})`,
        };
      }
      rows.push(...message.rows);
    }
    return { kind: 'message', message };
  });
  return { outcomes, prepared: prepareRows(rows, plains) };
}

/** A row's histogram decoded (`plainOf`), undefined when it has none. */
function plainOfRow(row: IntervalRow): Buffer | undefined {
  return row.statusClass === 'none' || row.histogram === '' ? undefined : plainOf(row.histogram);
}

/**
 * Rows per run, their histograms decoded once and merged per cell and per agent second:
 * a batch's every row of a cell costs one pass over its buckets here, and what is added
 * to a run's totals, window and live series is one histogram per cell and per agent.
 */
export function prepareRows(
  rows: readonly IntervalRow[],
  /** rows' histograms decoded already (decodeEntries); the others are decoded here */
  decoded: ReadonlyMap<IntervalRow, Buffer | undefined> = new Map(),
): PreparedRows[] {
  const runs = new Map<string, IntervalRow[]>();
  for (const row of rows) {
    const mine = runs.get(row.runId);
    if (mine) mine.push(row);
    else runs.set(row.runId, [row]);
  }
  const scratch = new HistogramAccumulator();
  return [...runs].map(([runId, mine]) => {
    const plains = mine.map((row) => (decoded.has(row) ? decoded.get(row) : plainOfRow(row)));
    const cells = [...groupIndexes(mine, cellKey)].flatMap((indexes): MergedCell[] => {
      const plain = merged(scratch, plains, indexes);
      if (!plain) return [];
      const { second, step, statusClass } = mine[indexes[0]!]!;
      return [{ second, step, statusClass, plain }];
    });
    const agentSeconds = [...groupIndexes(mine, agentSecondKey)].map((indexes) => {
      const counters = { requests: 0, errors: 0, late: 0, dropped: 0 };
      for (const i of indexes) {
        const row = mine[i]!;
        counters.requests += row.requests;
        counters.errors += row.errors;
        counters.late += row.late;
        counters.dropped += row.dropped;
      }
      const plain = merged(scratch, plains, indexes);
      const { agentId, second } = mine[indexes[0]!]!;
      return {
        agentId,
        second,
        ...counters,
        plain,
        point: pointOf(second, { ...counters, latency: scratch }),
      };
    });
    return { runId, rows: mine, cells, agentSeconds };
  });
}

const cellKey = (row: IntervalRow) =>
  row.statusClass === 'none' || row.histogram === ''
    ? undefined
    : `${row.second}\u0000${row.step}\u0000${row.statusClass}`;
const agentSecondKey = (row: IntervalRow) => `${row.agentId}\u0000${row.second}`;

/** Indexes of the rows per key, in first-seen order (rows keyed undefined are left out). */
function groupIndexes(
  rows: readonly IntervalRow[],
  keyOf: (row: IntervalRow) => string | undefined,
): Iterable<number[]> {
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const key = keyOf(row);
    if (key === undefined) return;
    const mine = groups.get(key);
    if (mine) mine.push(i);
    else groups.set(key, [i]);
  });
  return groups.values();
}

/** The plains at `indexes` merged (left in `scratch` too), undefined when there are none. */
function merged(
  scratch: HistogramAccumulator,
  plains: ReadonlyArray<Buffer | undefined>,
  indexes: readonly number[],
): Buffer | undefined {
  scratch.reset();
  for (const i of indexes) {
    const plain = plains[i];
    if (plain) scratch.addPlain(plain);
  }
  return scratch.toPlain();
}

/** A plain histogram as `HistogramAccumulator.addPlain` reads it (a thread's reply holds Uint8Arrays). */
export function asBuffer(plain: Uint8Array): Buffer {
  return Buffer.isBuffer(plain) ? plain : Buffer.from(plain.buffer, plain.byteOffset, plain.length);
}
