-- Loadline metadata, first schema. Applied by src/migrate.ts inside one transaction.
-- Timestamps are timestamptz(3): millisecond precision, so a value read into a JS Date
-- and written back (keyset cursors, compare-and-set) compares equal.

CREATE TABLE environments (
  name            text PRIMARY KEY,
  base_urls       jsonb NOT NULL DEFAULT '{}'::jsonb,
  allowed_hosts   text[] NOT NULL DEFAULT '{}',
  requires_shadow boolean NOT NULL DEFAULT true,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  updated_at      timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE scenarios (
  id             text PRIMARY KEY,
  name           text NOT NULL UNIQUE,
  latest_version integer NOT NULL CHECK (latest_version > 0),
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  updated_at     timestamptz(3) NOT NULL DEFAULT now()
);

-- Every save is a new row; rows are never updated.
CREATE TABLE scenario_versions (
  scenario_id text NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
  version     integer NOT NULL CHECK (version > 0),
  source      text NOT NULL,
  parsed      jsonb NOT NULL,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  created_by  text,
  PRIMARY KEY (scenario_id, version)
);

CREATE TABLE schedules (
  id               text PRIMARY KEY,
  name             text NOT NULL UNIQUE,
  scenario_id      text NOT NULL REFERENCES scenarios (id),
  scenario_version integer,
  cron             text NOT NULL,
  timezone         text NOT NULL DEFAULT 'UTC',
  environment      text NOT NULL REFERENCES environments (name),
  agents           integer NOT NULL DEFAULT 1 CHECK (agents > 0),
  options          jsonb NOT NULL DEFAULT '{}'::jsonb,
  paused           boolean NOT NULL DEFAULT false,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  updated_at       timestamptz(3) NOT NULL DEFAULT now(),
  FOREIGN KEY (scenario_id, scenario_version) REFERENCES scenario_versions (scenario_id, version)
);

CREATE TABLE runs (
  id               text PRIMARY KEY,
  scenario_id      text NOT NULL REFERENCES scenarios (id),
  scenario_version integer NOT NULL,
  environment      text NOT NULL REFERENCES environments (name),
  schedule_id      text REFERENCES schedules (id) ON DELETE SET NULL,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN (
                     'queued', 'waiting-for-agents', 'running',
                     'passed', 'failed', 'aborted', 'degraded', 'error')),
  agents_requested integer NOT NULL CHECK (agents_requested > 0),
  options          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  started_at       timestamptz(3),
  ended_at         timestamptz(3),
  passed           boolean,
  summary          jsonb,
  abort_reason     text,
  coordinator      text,
  lease_until      timestamptz(3),
  FOREIGN KEY (scenario_id, scenario_version) REFERENCES scenario_versions (scenario_id, version)
);
CREATE INDEX runs_created_idx ON runs (created_at DESC, id DESC);
CREATE INDEX runs_scenario_created_idx ON runs (scenario_id, created_at DESC, id DESC);
CREATE INDEX runs_active_idx ON runs (status)
  WHERE status IN ('queued', 'waiting-for-agents', 'running');

CREATE TABLE run_shards (
  run_id      text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  shard_index integer NOT NULL CHECK (shard_index >= 0),
  state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'claimed', 'finished', 'failed')),
  agent_id    text,
  claimed_at  timestamptz(3),
  finished_at timestamptz(3),
  PRIMARY KEY (run_id, shard_index),
  CHECK ((state = 'pending') = (agent_id IS NULL))
);

-- Agents are cattle: current_run_id is what the agent last said, not a foreign key.
CREATE TABLE agents (
  id                text PRIMARY KEY,
  host              text NOT NULL,
  pid               integer NOT NULL,
  version           text NOT NULL,
  current_run_id    text,
  first_seen_at     timestamptz(3) NOT NULL DEFAULT now(),
  last_heartbeat_at timestamptz(3) NOT NULL DEFAULT now()
);
