-- A fleet across machines: each shard remembers its agent's offset to control's clock when
-- it claimed (how far that machine's clock was off; the agent started on control's).
ALTER TABLE run_shards ADD COLUMN clock_offset_ms double precision;
