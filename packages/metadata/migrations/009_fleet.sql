-- A fleet across machines: each shard remembers its agent's offset to control's clock when
-- it claimed (how far that machine's clock was off; the agent started on control's).
ALTER TABLE run_shards ADD COLUMN clock_offset_ms double precision;

-- Live rate control: the multiplier a running open-model run goes at now (agents hear it in
-- every keepalive, so a control that takes the run over goes on with it), and every change
-- on the run's timeline, with who made it.
ALTER TABLE run_coordination ADD COLUMN rate_multiplier double precision NOT NULL DEFAULT 1
  CHECK (rate_multiplier > 0);
CREATE TABLE run_rate_changes (
  run_id          text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  at_ms           bigint NOT NULL,
  rate_multiplier double precision NOT NULL CHECK (rate_multiplier > 0),
  changed_by      text NOT NULL,
  PRIMARY KEY (run_id, at_ms)
);

-- An environment's cap on the whole fleet's request rate (per second): no launch and no
-- rate change may plan more. Null: no cap.
ALTER TABLE environments ADD COLUMN max_rate double precision CHECK (max_rate IS NULL OR max_rate > 0);
