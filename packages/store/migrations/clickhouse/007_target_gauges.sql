-- Each scraped second's saturation gauges (a DB pool in use, event-loop delay, memory, a
-- queue's depth), each as its share of the ceiling the environment gives it (1: at the
-- ceiling). The capacity model takes the load at which one reaches 1 as a limit, so a plan
-- can name a resource other than CPU or latency as the one that binds.
--
-- Rows stored before read back an empty map: no gauges listed. Metadata-only; IF NOT EXISTS
-- keeps a re-run harmless.
ALTER TABLE target_metrics
    ADD COLUMN IF NOT EXISTS gauges Map(String, Float64) AFTER busy_seconds;
