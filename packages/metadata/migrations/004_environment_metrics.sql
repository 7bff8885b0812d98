-- Where control reads the system under test during a run: each target instance's
-- Prometheus /metrics URL with the service it belongs to (and, optionally, which counter
-- holds its CPU seconds). The capacity model is fitted on what these say.
ALTER TABLE environments
  ADD COLUMN metrics_targets jsonb NOT NULL DEFAULT '[]'::jsonb;
