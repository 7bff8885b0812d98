/** One numbered migration file, split into statements. */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

/** The table recording applied migrations, in single-node and cluster form alike. */
export const LEDGER_TABLE = 'schema_migrations';

export const LEDGER_COLUMNS = `(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)`;

export const LEDGER_ORDER_BY = 'ORDER BY version';

/** The single-node ledger (embedded and one server). */
export const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE}
${LEDGER_COLUMNS}
ENGINE = ReplacingMergeTree
${LEDGER_ORDER_BY}`;
