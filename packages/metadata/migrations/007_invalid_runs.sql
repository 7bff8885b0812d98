-- A run whose load generator could not keep up ends `invalid`: it ran, but its figures
-- describe the generator, not the target.
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (status IN (
  'awaiting-approval', 'queued', 'waiting-for-agents', 'running',
  'passed', 'failed', 'aborted', 'degraded', 'invalid', 'error'));
