-- Shadow leaks: a service's SDK refused a shadow write that would have reached production
-- (or stripped the tag off a call leaving the internal network) and told control, which
-- stops the run. Kept with the run as evidence for `loadline verify` and the report.

CREATE TABLE run_leaks (
  id          text PRIMARY KEY,
  run_id      text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('postgres', 'redis', 'queue', 'egress')),
  target      text NOT NULL,
  service     text NOT NULL,
  detail      text NOT NULL,
  at          timestamptz(3) NOT NULL,
  received_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE INDEX run_leaks_by_run ON run_leaks (run_id, at);
