-- A k6 script's shard ends with its runner's exit code and its metrics (every sink and
-- threshold submetric, trends as HdrHistograms). Control judges the script's thresholds on
-- every shard's merged; written with the shard's end, they survive a control restart, so
-- the control that settles the run still has the shards that ended before it took over.
ALTER TABLE run_shards
  ADD COLUMN k6_exit_code integer,
  ADD COLUMN k6_metrics jsonb;
