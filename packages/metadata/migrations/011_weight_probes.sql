-- Weight-shift capacity probes: control raises one instance's weight at the gateway level
-- by level until its SLO breaks. The weights found before the first change are written
-- here before that change is made, so whatever ends the probe (its end, a stop, a crash of
-- the control that ran it) the control active next can put them back.
ALTER TABLE environments
  ADD COLUMN weight_drivers jsonb NOT NULL DEFAULT '{}'::jsonb;

CREATE TABLE weight_probes (
  id               text PRIMARY KEY,
  environment      text NOT NULL REFERENCES environments (name),
  service          text NOT NULL,
  instance         integer NOT NULL CHECK (instance >= 0),
  instance_url     text NOT NULL,
  input            jsonb NOT NULL,
  -- the driver as it was at the start: a restore uses it even if the environment changed
  driver           jsonb NOT NULL,
  status           text NOT NULL CHECK (status IN ('running', 'finished', 'aborted', 'failed')),
  original_weights jsonb NOT NULL,
  levels           jsonb NOT NULL DEFAULT '[]'::jsonb,
  redline          jsonb,
  reason           text,
  created_by       text NOT NULL,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  ended_at         timestamptz(3),
  restored_at      timestamptz(3)
);

-- What a control taking over looks for: probes whose weights may still be shifted.
CREATE INDEX weight_probes_unrestored ON weight_probes (created_at) WHERE restored_at IS NULL;
