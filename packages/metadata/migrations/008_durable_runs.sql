-- A run's coordination lives here, not only in the memory of the control that runs it: any
-- control can take a run over (a restart, a standby) and go on from what is written.

-- How long agents go on without hearing control; an environment may only shorten it (a
-- production environment may stop its load at once when control goes away).
ALTER TABLE environments ADD COLUMN control_grace_s integer
  CHECK (control_grace_s IS NULL OR control_grace_s BETWEEN 0 AND 600);

-- What the coordinator planned (what the run asks for each second, its duration, the
-- scenario as the agents run it), when it began waiting for agents, the common start every
-- agent keys its intervals on, and a stop decided but not settled yet.
CREATE TABLE run_coordination (
  run_id        text PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  plan          jsonb NOT NULL,
  waiting_since timestamptz(3) NOT NULL DEFAULT now(),
  start_at_ms   bigint,
  stop_reason   text,
  updated_at    timestamptz(3) NOT NULL DEFAULT now()
);

-- A shard ends finished (ran out its time), failed (stopped: the reason says why) or lost
-- (its agent vanished mid-shard); it remembers how far it got.
ALTER TABLE run_shards DROP CONSTRAINT run_shards_state_check;
ALTER TABLE run_shards ADD CONSTRAINT run_shards_state_check
  CHECK (state IN ('pending', 'claimed', 'finished', 'failed', 'lost'));
ALTER TABLE run_shards ADD COLUMN reason text;
ALTER TABLE run_shards ADD COLUMN requests bigint NOT NULL DEFAULT 0;
ALTER TABLE run_shards ADD COLUMN last_interval_at timestamptz(3);

-- Which control is active (coordinates runs, stores results, fires schedules) when several
-- share one database: a lease, renewed every couple of seconds; a standby takes it when it
-- lapses. One row.
CREATE TABLE control_leader (
  id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  holder      text NOT NULL,
  url         text NOT NULL,
  lease_until timestamptz(3) NOT NULL,
  since       timestamptz(3) NOT NULL DEFAULT now()
);
