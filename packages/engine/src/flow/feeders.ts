import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Feeder } from '@loadline/scenario';
import { parse } from 'csv-parse/sync';

export type FeederRow = Record<string, string>;

/**
 * A data feeder's share of rows on this shard. Rows are dealt round-robin across shards
 * (row i goes to shard i mod n), so agents never send the same user; `sequential` walks
 * the share in order and wraps, `random` draws from it.
 */
export class FeederCursor {
  readonly #rows: FeederRow[];
  readonly #order: Feeder['order'];
  #next = 0;

  constructor(rows: FeederRow[], order: Feeder['order']) {
    this.#rows = rows;
    this.#order = order;
  }

  get size(): number {
    return this.#rows.length;
  }

  next(): FeederRow {
    if (this.#order === 'random') {
      return this.#rows[Math.floor(Math.random() * this.#rows.length)] as FeederRow;
    }
    const row = this.#rows[this.#next] as FeederRow;
    this.#next = (this.#next + 1) % this.#rows.length;
    return row;
  }
}

export class FeederError extends Error {}

/** Reads a CSV feeder (header row names the columns) and keeps this shard's rows. */
export function loadFeeder(
  name: string,
  feeder: Feeder,
  baseDir: string,
  shard: { index: number; count: number },
): FeederCursor {
  return new FeederCursor(loadFeederRows(name, feeder, baseDir, shard), feeder.order);
}

/** This shard's rows of a CSV feeder: row i goes to shard i mod count. */
export function loadFeederRows(
  name: string,
  feeder: Feeder,
  baseDir: string,
  shard: { index: number; count: number },
): FeederRow[] {
  const path = isAbsolute(feeder.file) ? feeder.file : join(baseDir, feeder.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FeederError(
      `feeders.${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  let rows: FeederRow[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new FeederError(
      `feeders.${name}: ${path} is not valid CSV (${(error as Error).message})`,
    );
  }
  const share = rows.filter((_, i) => i % shard.count === shard.index);
  if (share.length === 0) {
    throw new FeederError(
      `feeders.${name}: ${path} has ${rows.length} row(s), none for shard ${shard.index + 1} of ${shard.count}; add rows or use fewer agents`,
    );
  }
  return share;
}

/** The columns a feeder file has, for validating `${feeder.column}` references. */
export function columnsOf(cursor: FeederCursor): string[] {
  return cursor.size > 0 ? Object.keys(cursor.next()) : [];
}
