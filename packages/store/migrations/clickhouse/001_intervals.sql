-- Raw interval rows: what one agent measured for one (step, status class) in one second.
-- Volume is per second, not per request (~45k rows/s at 300 agents x 50 steps x 3 classes).
--
-- Duplicate delivery: an agent retries a push it is unsure about, and control re-reads
-- Redis after a crash, so the same row can arrive twice. ReplacingMergeTree keyed on the
-- whole sorting key (run_id, step, status_class, second, agent_id), which is exactly the
-- identity of a row, collapses such copies; every read goes through FINAL, so copies that
-- background merges have not collapsed yet are never counted twice. No version column: a
-- rotated interval is immutable, so any copy is as good as another (the last one wins).
-- Copies always share a partition (same second), which FINAL needs to see them together.
--
-- Retention: TTL 90 days after the interval's second (rollups and markers expire with it).
CREATE TABLE IF NOT EXISTS intervals
(
    run_id        String,
    agent_id      LowCardinality(String),
    step          LowCardinality(String),
    status_class  LowCardinality(String),
    second        DateTime('UTC'),
    requests      UInt32,
    errors        UInt32,
    checks_failed UInt32,
    late          UInt32,
    dropped       UInt32,
    -- HdrHistogram (latency in µs), compressed base64 V2 encoding; '' when empty
    histogram     String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(second)
ORDER BY (run_id, step, status_class, second, agent_id)
TTL second + INTERVAL 90 DAY;
