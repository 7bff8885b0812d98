-- What the system under test did during a run, scraped by control from each target
-- instance's Prometheus /metrics every second: requests, CPU seconds and latency
-- quantiles (from the instance's own histogram buckets) per instance and second. The
-- capacity model fits fan-out ratios and per-machine curves on these rows next to the
-- agents' intervals of the same seconds.
--
-- A re-scrape of the same second (control restarted) replaces the row: ReplacingMergeTree
-- keyed on (run_id, service, instance, second), read through FINAL. -1 means "not exposed"
-- (no CPU counter) or "no requests" (no latency). Retention as the intervals: 90 days.
CREATE TABLE IF NOT EXISTS target_metrics
(
    run_id      String,
    service     LowCardinality(String),
    instance    String,
    second      DateTime('UTC'),
    interval_s  Float64,
    requests    Float64,
    cpu_seconds Float64,
    p50_ms      Float64,
    p99_ms      Float64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(second)
ORDER BY (run_id, service, instance, second)
TTL second + INTERVAL 90 DAY;
