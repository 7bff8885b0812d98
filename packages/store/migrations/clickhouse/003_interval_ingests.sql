-- Ingest markers: after each batch of raw rows is written, one row per (run, step, status
-- class, minute) the batch touched, stamped with the server clock. A rollup built before
-- the newest marker of its group is stale: late rows, retries and replacements all leave
-- a newer marker, so they are never missed, however late they arrive.
-- Readers take max(marked_at_us) per group; merges collapse markers to the newest.
--
-- Retention: TTL 90 days after the minute, like the raw rows.
CREATE TABLE IF NOT EXISTS interval_ingests
(
    run_id        String,
    step          LowCardinality(String),
    status_class  LowCardinality(String),
    minute        DateTime('UTC'),
    marked_at_us  UInt64 DEFAULT toUnixTimestamp64Micro(now64(6))
)
ENGINE = ReplacingMergeTree(marked_at_us)
PARTITION BY toYYYYMM(minute)
ORDER BY (run_id, step, status_class, minute)
TTL minute + INTERVAL 90 DAY;
