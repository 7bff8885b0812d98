-- Each scraped second's busy seconds: the increase of the instance's duration histogram
-- `_sum`, the time spent on the requests that completed in it. By Little's law, busy seconds
-- over the interval is the instance's mean concurrency, the N its USL curve is fitted
-- against (qps × p99 overstated it several times over).
--
-- Rows stored before read back -1 (the default): not scraped, as for a histogram without
-- `_sum`. Metadata-only; IF NOT EXISTS keeps a re-run harmless.
ALTER TABLE target_metrics
    ADD COLUMN IF NOT EXISTS busy_seconds Float64 DEFAULT -1 AFTER p99_ms;
