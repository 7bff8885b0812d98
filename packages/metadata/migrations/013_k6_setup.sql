-- A k6 run's setup() ran (on shard 0): when every agent's VUs start and what setup()
-- returned. Written once, as the start is: a control that takes the run over says it again,
-- so an agent still waiting for it is not stranded.
ALTER TABLE run_coordination
  ADD COLUMN k6_setup jsonb;
