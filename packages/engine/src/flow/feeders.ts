import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
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

/** A feeder's file may not be read (or cannot be): `reason` says why, for `feeders.NAME.file`. */
export class FeederFileError extends FeederError {
  constructor(
    readonly feeder: string,
    readonly reason: string,
  ) {
    super(`feeders.${feeder}.file: ${reason}`);
  }
}

/**
 * Where feeder files may be read: under the scenario file's folder, and under folders the
 * user allowed (`loadline run --allow-path DIR`). Rows are uploaded to control, where
 * anyone with access to the scenario can read them, so a scenario may not reach out for
 * `/etc/passwd` or `../../secrets.csv`.
 */
export interface FeederFiles {
  /** the scenario file's folder */
  baseDir: string;
  /** further folders feeder files may be read from */
  allowedDirs?: readonly string[];
}

/** The folder itself, symlinks resolved, when it exists. */
function realDir(dir: string): string {
  try {
    return realpathSync(resolve(dir));
  } catch {
    return resolve(dir);
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The real path of a feeder's file (symlinks resolved), or a FeederError naming the feeder
 * and why it may not be read: an absolute path outside the allowed folders, or a relative
 * one that leaves the scenario's folder (by "..", or by a symlink pointing elsewhere).
 */
export function resolveFeederFile(name: string, file: string, files: FeederFiles): string {
  const allowed = (files.allowedDirs ?? []).map((dir) => resolve(dir));
  const roots = isAbsolute(file) ? allowed : [resolve(files.baseDir), ...allowed];
  const outside = (path: string, dirs: string[]) => !dirs.some((dir) => isInside(path, dir));
  const refuse = (why: string) =>
    new FeederFileError(
      name,
      `${JSON.stringify(file)} ${why}; feeder files are read under the scenario's folder (${resolve(files.baseDir)})${allowed.length > 0 ? ` or ${allowed.join(', ')}` : ''}; allow another folder with --allow-path DIR`,
    );
  const lexical = resolve(files.baseDir, file);
  if (outside(lexical, roots)) {
    throw refuse(isAbsolute(file) ? 'is an absolute path' : 'leaves that folder');
  }
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch (error) {
    throw new FeederFileError(
      name,
      `cannot read ${lexical} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  if (outside(real, roots.map(realDir))) throw refuse(`resolves through a symlink to ${real}`);
  return real;
}

/** Reads a CSV feeder (header row names the columns) and keeps this shard's rows. */
export function loadFeeder(
  name: string,
  feeder: Feeder,
  files: FeederFiles,
  shard: { index: number; count: number },
): FeederCursor {
  return new FeederCursor(loadFeederRows(name, feeder, files, shard), feeder.order);
}

/** This shard's rows of a CSV feeder: row i goes to shard i mod count. */
export function loadFeederRows(
  name: string,
  feeder: Feeder,
  files: FeederFiles,
  shard: { index: number; count: number },
): FeederRow[] {
  // The real path is what is read: a symlink swapped after the check changes nothing.
  const path = resolveFeederFile(name, feeder.file, files);
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
