-- Loadline results on a ClickHouse cluster: the tables of packages/store, as
-- ReplicatedReplacingMergeTree local tables on every node (`*_local`) with Distributed
-- tables on top under the names the store queries (`intervals`, `interval_minutes`,
-- `interval_ingests`).
--
-- Source of truth: packages/store/migrations/clickhouse/001..004. Columns, types, DEFAULTs,
-- engines' version columns, PARTITION BY, ORDER BY and TTL below mirror those files
-- exactly, with 004's `checks` columns already in place after `errors`. A new store
-- migration needs its counterpart here (see "Pointing packages/store at this schema").
--
-- Requirements on every node:
--   * <remote_servers> defines the cluster, and <macros> define {cluster}, {shard} and
--     {replica} ({shard}-{replica} must be unique across the whole cluster);
--   * ClickHouse Keeper (or ZooKeeper) configured: Replicated* tables and ON CLUSTER DDL;
--   * clocks synchronised (NTP/chrony): see "Clocks" below.
-- Apply once, from any node, as a user allowed to run DDL ON CLUSTER:
--   clickhouse-client --host CH_NODE --user ADMIN --password --multiquery \
--     < infra/clickhouse/cluster-schema.sql
-- Every statement is IF NOT EXISTS: re-running it is harmless.
--
-- Written against the ClickHouse SQL reference; not executed on a cluster from the build
-- machines (no cluster there). Try it on a staging cluster first.

CREATE DATABASE IF NOT EXISTS loadline ON CLUSTER '{cluster}';

-- ---------------------------------------------------------------------------------------
-- Sharding key: cityHash64(run_id) for all three tables: every row, rollup and marker of
-- one run lives on one shard.
--
-- Alternatives considered:
--   cityHash64(run_id, agent_id) for `intervals` spreads one run's raw rows over all
--   shards, so a single huge run (the Double-11 rehearsal is typically ONE run) would use
--   every shard's disks and CPUs for ingest and raw reads. But:
--     - `interval_minutes` and `interval_ingests` have no agent_id: they must shard by run
--       (or by step) anyway, so a run's rollups would no longer sit with its raw rows;
--     - the store's compactRun() runs `INSERT INTO interval_ingests SELECT ... FROM
--       intervals ... NOT IN (SELECT ... FROM interval_ingests ...)`. With all three
--       tables sharded by run, distributed_product_mode = 'local' answers that subquery
--       on each shard, correctly; with raw rows sharded by agent it would need GLOBAL NOT
--       IN (the whole run's marker set shipped to every shard);
--     - a run's queries (every store query has `run_id = {runId}`) fan out to every shard
--       instead of one, and every shard's FINAL merge takes part in every read.
--   By run: with optimize_skip_unused_shards = 1 a run's reads and writes touch one shard;
--   FINAL dedups correctly (a row's duplicate deliveries have the same run_id, so the same
--   shard); the rollup-validity check (markers vs rollups vs raw rows) is shard-local.
--   Cost: one run's ingest is bounded by one shard (all its replicas share the load for
--   reads, not writes). At the design's peak, ~45k rows/s of ~0.3-0.7 KB each (~14-32
--   MB/s, arriving as a few large inserts a second from control), one shard of current
--   hardware has ample headroom; shards add capacity for concurrent runs and for 90 days
--   of retention, not for a single run's write rate.
-- Choice: run. Revisit only if one run's ingest ever saturates a shard.
-- ---------------------------------------------------------------------------------------

-- Raw interval rows (001_intervals.sql + 004_checks.sql).
CREATE TABLE IF NOT EXISTS loadline.intervals_local ON CLUSTER '{cluster}'
(
    run_id        String,
    agent_id      LowCardinality(String),
    step          LowCardinality(String),
    status_class  LowCardinality(String),
    second        DateTime('UTC'),
    requests      UInt32,
    errors        UInt32,
    checks        UInt32 DEFAULT 0,
    checks_failed UInt32,
    late          UInt32,
    dropped       UInt32,
    -- HdrHistogram (latency in µs), compressed base64 V2 encoding; '' when empty
    histogram     String
)
ENGINE = ReplicatedReplacingMergeTree(
    '/clickhouse/{cluster}/tables/{shard}/loadline/intervals_local', '{replica}')
PARTITION BY toYYYYMM(second)
ORDER BY (run_id, step, status_class, second, agent_id)
TTL second + INTERVAL 90 DAY;

-- Per-minute rollups (002_interval_minutes.sql + 004_checks.sql).
CREATE TABLE IF NOT EXISTS loadline.interval_minutes_local ON CLUSTER '{cluster}'
(
    run_id        String,
    step          LowCardinality(String),
    status_class  LowCardinality(String),
    minute        DateTime('UTC'),
    source_rows   UInt32,
    requests      UInt64,
    errors        UInt64,
    checks        UInt64 DEFAULT 0,
    checks_failed UInt64,
    late          UInt64,
    dropped       UInt64,
    -- HdrHistogram V2 encoding, base64, plain (not zlib-compressed); '' when empty
    histogram     String,
    -- server clock (µs) read before the raw rows were read
    built_at_us   UInt64
)
ENGINE = ReplicatedReplacingMergeTree(
    '/clickhouse/{cluster}/tables/{shard}/loadline/interval_minutes_local', '{replica}',
    built_at_us)
PARTITION BY toYYYYMM(minute)
ORDER BY (run_id, step, status_class, minute)
TTL minute + INTERVAL 90 DAY;

-- Ingest markers (003_interval_ingests.sql).
CREATE TABLE IF NOT EXISTS loadline.interval_ingests_local ON CLUSTER '{cluster}'
(
    run_id        String,
    step          LowCardinality(String),
    status_class  LowCardinality(String),
    minute        DateTime('UTC'),
    marked_at_us  UInt64 DEFAULT toUnixTimestamp64Micro(now64(6))
)
ENGINE = ReplicatedReplacingMergeTree(
    '/clickhouse/{cluster}/tables/{shard}/loadline/interval_ingests_local', '{replica}',
    marked_at_us)
PARTITION BY toYYYYMM(minute)
ORDER BY (run_id, step, status_class, minute)
TTL minute + INTERVAL 90 DAY;

-- Distributed tables under the store's table names. `AS ..._local` copies the columns
-- with their DEFAULTs; a DEFAULT is evaluated on the node that receives the INSERT.
CREATE TABLE IF NOT EXISTS loadline.intervals ON CLUSTER '{cluster}'
AS loadline.intervals_local
ENGINE = Distributed('{cluster}', 'loadline', 'intervals_local', cityHash64(run_id));

CREATE TABLE IF NOT EXISTS loadline.interval_minutes ON CLUSTER '{cluster}'
AS loadline.interval_minutes_local
ENGINE = Distributed('{cluster}', 'loadline', 'interval_minutes_local', cityHash64(run_id));

CREATE TABLE IF NOT EXISTS loadline.interval_ingests ON CLUSTER '{cluster}'
AS loadline.interval_ingests_local
ENGINE = Distributed('{cluster}', 'loadline', 'interval_ingests_local', cityHash64(run_id));

-- The store's migration ledger (CREATE_LEDGER in packages/store/src/migrations.ts), created
-- here on every node and replicated to all of them (one Keeper path for the whole cluster,
-- hence no {shard} in it and a {shard}-{replica} replica name), so that whichever node
-- control's migrate() talks to finds the same ledger. Not distributed: it is tiny.
CREATE TABLE IF NOT EXISTS loadline.schema_migrations ON CLUSTER '{cluster}'
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree(
    '/clickhouse/{cluster}/tables/all/loadline/schema_migrations', '{shard}-{replica}')
ORDER BY version;

-- =======================================================================================
-- Pointing packages/store at this schema (documentation: what works today, what must
-- change in the code)
-- =======================================================================================
--
-- Today. control opens the store with ResultStore.open({ mode: 'server', url:
-- CLICKHOUSE_URL }) (apps/control/src/control.ts). ServerDriver.open runs `CREATE DATABASE
-- IF NOT EXISTS loadline` and every query uses database `loadline` (the StoreOptions
-- `database`, `username`, `password` fields exist but control passes none of them; the
-- credentials come from the URL, and a /database path in the URL would override the
-- database for queries but not for that CREATE DATABASE: leave the path empty). Then
-- migrate() applies 001..004: each is `CREATE TABLE IF NOT EXISTS <name> ... ENGINE =
-- ReplacingMergeTree` (non-replicated, on the one node it talks to) or `ALTER TABLE <name>
-- ADD COLUMN IF NOT EXISTS checks`.
--
-- With this file applied FIRST, those statements find the Distributed tables already
-- there under the same names and do nothing (CREATE ... IF NOT EXISTS is a no-op;
-- Distributed tables accept ALTER ADD COLUMN, and IF NOT EXISTS makes it a no-op), the
-- ledger records 001..004, and from then on every INSERT and SELECT of the store goes
-- through the Distributed tables. Applying this file AFTER control has started against
-- the cluster is wrong: control would have created plain tables under those names on
-- one node; drop them there (and its schema_migrations) first.
--
-- Settings the store's logic needs on a cluster. Today they can be set without a code
-- change as URL parameters, which @clickhouse/client turns into settings for every query
-- (`ch_<name>=<value>`):
--   CLICKHOUSE_URL=http://USER:PASSWORD@CH_NODE:8123/?ch_distributed_foreground_insert=1&ch_distributed_product_mode=local&ch_optimize_skip_unused_shards=1&ch_load_balancing=in_order
-- or in a settings profile of the user control logs in as:
--   CREATE SETTINGS PROFILE IF NOT EXISTS loadline_control ON CLUSTER '{cluster}'
--     SETTINGS distributed_foreground_insert = 1, distributed_product_mode = 'local',
--              optimize_skip_unused_shards = 1, load_balancing = 'in_order'
--     TO loadline;
--   * distributed_foreground_insert = 1 (alias insert_distributed_sync): an INSERT returns
--     only once the rows are on their shard. The default (background sending) breaks the
--     store's rollup invariant "a batch whose marker is older than a rollup build was
--     committed before that build read": the rows could still be queued on the
--     initiator when a rollup is built and marked valid.
--   * distributed_product_mode = 'local': compactRun()'s `NOT IN (SELECT ... FROM
--     interval_ingests ...)` inside a query on `intervals` is otherwise refused
--     ("Double-distributed IN/JOIN subqueries is denied"); 'local' is correct because
--     both tables are sharded by run.
--   * optimize_skip_unused_shards = 1: `run_id = {runId}` queries go to one shard.
--   * load_balancing = 'in_order': reads and writes of a shard go to the same (first
--     healthy) replica, so a read does not hit a replica that has fetched a batch's marker
--     but not yet its rows (replication is asynchronous and per table). After a replica
--     fails over, a rollup built in that window can miss rows; `compact` on the run after
--     replication catches up rebuilds nothing by itself (its markers are older): delete the
--     run's rows in interval_minutes_local to force rebuilds if that ever matters.
--
-- Clocks. Markers get their time from `DEFAULT now64(6)`, filled in by the server that
-- processes the INSERT (for a Distributed table, the node control sent it to); a rollup's
-- built_at_us is `SELECT now64(6)` on the node that answers it. They must be one clock,
-- so point CLICKHOUSE_URL at ONE node (a stable DNS name of one replica, not a Service
-- load-balancing over all of them: @clickhouse/client keeps several keep-alive sockets,
-- which such a Service spreads over nodes), and keep every node NTP-synchronised anyway.
-- A second clock running ahead can make a rollup that missed a late batch look valid.
-- (Pinning to one node trades away failover of control's ClickHouse connection: if that
-- node is down, ingest stops and results wait in Redis until it is back or the URL is
-- changed. Item 4 below removes the need.)
--
-- What has to change in packages/store for a proper cluster mode (not done yet):
--   1. deleteRun() runs `DELETE FROM intervals|interval_minutes|interval_ingests` — not
--      supported on Distributed tables. Cluster mode must delete from the local tables on
--      every shard: `DELETE FROM loadline.<table>_local ON CLUSTER '{cluster}' WHERE
--      run_id = {runId:String}` (or ALTER TABLE ... ON CLUSTER ... DELETE). No control
--      route calls deleteRun today.
--   2. A `cluster` store option (cluster name, local-table suffix) instead of URL
--      parameters: it would set the settings above on the client, use the local names in
--      deleteRun, and choose the migration set below.
--   3. Migrations: the numbered files create single-node tables. Cluster mode needs its
--      own numbered set (e.g. migrations/clickhouse-cluster/, ON CLUSTER, Replicated
--      engines, Distributed tables; 001 = this file), applied by the same runner with the
--      replicated ledger above, plus a test that both sets yield the same columns,
--      ORDER BY, PARTITION BY and TTL. Until then: every new single-node migration needs a
--      hand-written counterpart here, applied ON CLUSTER before control is upgraded; a
--      future `ALTER TABLE intervals ADD COLUMN x` run by control would change only the
--      Distributed table's metadata on one node, not the local tables.
--   4. Replace the server clocks in marked_at_us / built_at_us by one logical clock that
--      does not depend on which node answers, e.g. a counter the store is handed (a Redis
--      INCR in control): take a value AFTER a batch's rows are committed and write it as
--      the marker's marked_at_us; take one BEFORE reading raw rows for a build and write it
--      as built_at_us. "built_at_us > marked_at_us" then still means "the rows were
--      committed before the build read them", on any node, and the pinning above goes.
