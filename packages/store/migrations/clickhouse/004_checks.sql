-- Checks evaluated, next to checks failed: a `checks: rate>0.99` threshold needs the rate
-- of passing checks, (checks - checks_failed) / checks, which checks_failed alone cannot
-- give. Same type as checks_failed in each table that holds it.
--
-- Rows and rollups stored before this migration read back with checks = 0 (the column
-- default): no checks were recorded for them. A rollup is rebuilt from the raw rows as
-- soon as newer rows arrive for its group, as before, so its sums stay those of its rows.
-- Metadata-only (no rewrite of existing parts); IF NOT EXISTS keeps a re-run harmless.
ALTER TABLE intervals
    ADD COLUMN IF NOT EXISTS checks UInt32 DEFAULT 0 AFTER errors;

ALTER TABLE interval_minutes
    ADD COLUMN IF NOT EXISTS checks UInt64 DEFAULT 0 AFTER errors;
