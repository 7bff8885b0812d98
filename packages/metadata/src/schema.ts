/**
 * Drizzle view of the tables that `migrations/*.sql` create. The SQL files are the source
 * of truth (they are what runs); this file must describe the same columns, and the
 * integration tests compare the two.
 */
import type { RunStatus } from '@loadline/api';
import type { MetricsTarget } from '@loadline/metrics';
import { sql } from 'drizzle-orm';
import {
  boolean,
  doublePrecision,
  foreignKey,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** A target instance's Prometheus endpoint, scraped every second during runs. */
export type { MetricsTarget };

/** A JSON value as stored in a jsonb column. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Shard lifecycle: pending → claimed → finished | failed (claimed → pending on release). */
export type ShardState = 'pending' | 'claimed' | 'finished' | 'failed';

const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

export const environments = pgTable('environments', {
  name: text('name').primaryKey(),
  baseUrls: jsonb('base_urls').$type<Record<string, string>>().notNull().default({}),
  allowedHosts: text('allowed_hosts').array().notNull().default(sql`'{}'`),
  requiresShadow: boolean('requires_shadow').notNull().default(true),
  metricsTargets: jsonb('metrics_targets').$type<MetricsTarget[]>().notNull().default([]),
  createdAt: at('created_at').notNull().defaultNow(),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export const scenarios = pgTable('scenarios', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  latestVersion: integer('latest_version').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export const scenarioVersions = pgTable(
  'scenario_versions',
  {
    scenarioId: text('scenario_id')
      .notNull()
      .references(() => scenarios.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    source: text('source').notNull(),
    parsed: jsonb('parsed').$type<JsonObject>().notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    createdBy: text('created_by'),
  },
  (t) => [primaryKey({ columns: [t.scenarioId, t.version] })],
);

export const schedules = pgTable(
  'schedules',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull().unique(),
    scenarioId: text('scenario_id')
      .notNull()
      .references(() => scenarios.id),
    scenarioVersion: integer('scenario_version'),
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    environment: text('environment')
      .notNull()
      .references(() => environments.name),
    agents: integer('agents').notNull().default(1),
    options: jsonb('options').$type<JsonObject>().notNull().default({}),
    paused: boolean('paused').notNull().default(false),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      columns: [t.scenarioId, t.scenarioVersion],
      foreignColumns: [scenarioVersions.scenarioId, scenarioVersions.version],
    }),
  ],
);

export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    scenarioId: text('scenario_id')
      .notNull()
      .references(() => scenarios.id),
    scenarioVersion: integer('scenario_version').notNull(),
    environment: text('environment')
      .notNull()
      .references(() => environments.name),
    scheduleId: text('schedule_id').references(() => schedules.id, { onDelete: 'set null' }),
    status: text('status').$type<RunStatus>().notNull().default('queued'),
    agentsRequested: integer('agents_requested').notNull(),
    options: jsonb('options').$type<JsonObject>().notNull().default({}),
    createdAt: at('created_at').notNull().defaultNow(),
    startedAt: at('started_at'),
    endedAt: at('ended_at'),
    passed: boolean('passed'),
    summary: jsonb('summary').$type<JsonObject>(),
    abortReason: text('abort_reason'),
    coordinator: text('coordinator'),
    leaseUntil: at('lease_until'),
  },
  (t) => [
    foreignKey({
      columns: [t.scenarioId, t.scenarioVersion],
      foreignColumns: [scenarioVersions.scenarioId, scenarioVersions.version],
    }),
  ],
);

export const runShards = pgTable(
  'run_shards',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    shardIndex: integer('shard_index').notNull(),
    state: text('state').$type<ShardState>().notNull().default('pending'),
    agentId: text('agent_id'),
    claimedAt: at('claimed_at'),
    finishedAt: at('finished_at'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.shardIndex] })],
);

export const agents = pgTable('agents', {
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  version: text('version').notNull(),
  currentRunId: text('current_run_id'),
  firstSeenAt: at('first_seen_at').notNull().defaultNow(),
  lastHeartbeatAt: at('last_heartbeat_at').notNull().defaultNow(),
});

export const schemaMigrations = pgTable('schema_migrations', {
  version: integer('version').primaryKey(),
  name: text('name').notNull(),
  checksum: text('checksum').notNull(),
  appliedAt: at('applied_at').notNull().defaultNow(),
});

/** A shadow write a service's SDK refused (or a tag it stripped on egress), per run. */
export const runLeaks = pgTable('run_leaks', {
  id: text('id').primaryKey(),
  runId: text('run_id')
    .notNull()
    .references(() => runs.id, { onDelete: 'cascade' }),
  kind: text('kind').$type<'postgres' | 'redis' | 'queue' | 'egress'>().notNull(),
  target: text('target').notNull(),
  service: text('service').notNull(),
  detail: text('detail').notNull(),
  at: at('at').notNull(),
  receivedAt: at('received_at').notNull().defaultNow(),
});

export const corpora = pgTable('corpora', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  latestVersion: integer('latest_version').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export const corpusVersions = pgTable(
  'corpus_versions',
  {
    corpusId: text('corpus_id')
      .notNull()
      .references(() => corpora.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    requestCount: integer('request_count').notNull(),
    durationMs: doublePrecision('duration_ms').notNull(),
    meta: jsonb('meta').$type<JsonObject>().notNull(),
    mix: jsonb('mix').$type<JsonObject>().notNull(),
    /** the requests as one JSON array */
    requests: text('requests').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    createdBy: text('created_by'),
  },
  (t) => [primaryKey({ columns: [t.corpusId, t.version] })],
);
