-- Per-minute rollups: for one (run, step, status class, minute), the counters summed and
-- the latency histograms merged (exactly, in Node) over every agent and second. A whole
-- one-hour run is then 60 x steps x classes rows to merge instead of one per agent-second.
--
-- Written by the store from the deduplicated raw rows (intervals FINAL), never by hand.
-- A rollup is valid while no ingest marker for its group (interval_ingests) is newer than
-- built_at_us; a stale one is rebuilt. Rebuilds of one group replace each other: the
-- newest build (highest built_at_us) wins, and reads use FINAL.
--
-- Retention: TTL 90 days after the minute, like the raw rows.
CREATE TABLE IF NOT EXISTS interval_minutes
(
    run_id        String,
    step          LowCardinality(String),
    status_class  LowCardinality(String),
    minute        DateTime('UTC'),
    source_rows   UInt32,
    requests      UInt64,
    errors        UInt64,
    checks_failed UInt64,
    late          UInt64,
    dropped       UInt64,
    -- HdrHistogram V2 encoding, base64, plain (not zlib-compressed: inflating was most of
    -- the cost of reading rollups back); '' when empty
    histogram     String,
    -- server clock (µs) read before the raw rows were read
    built_at_us   UInt64
)
ENGINE = ReplacingMergeTree(built_at_us)
PARTITION BY toYYYYMM(minute)
ORDER BY (run_id, step, status_class, minute)
TTL minute + INTERVAL 90 DAY;
