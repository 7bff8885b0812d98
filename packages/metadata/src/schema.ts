/**
 * Drizzle view of the tables that `migrations/*.sql` create. The SQL files are the source
 * of truth (they are what runs); this file must describe the same columns, and the
 * integration tests compare the two.
 */
import type { RunStatus } from '@loadline/api';
import type {
  MetricsTarget,
  WeightDriver,
  WeightProbeLevel,
  WeightProbeStatus,
} from '@loadline/api/http';

export type { MetricsTarget };

import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  foreignKey,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** Bytes: Buffer from pg, Uint8Array from PGlite, either accepted on the way in. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
});

/** A JSON value as stored in a jsonb column. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Shard lifecycle: pending → claimed → finished | failed (claimed → pending on release). */
export type ShardState = 'pending' | 'claimed' | 'finished' | 'failed' | 'lost';

const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

export const environments = pgTable('environments', {
  name: text('name').primaryKey(),
  baseUrls: jsonb('base_urls').$type<Record<string, string>>().notNull().default({}),
  allowedHosts: text('allowed_hosts').array().notNull().default(sql`'{}'`),
  requiresShadow: boolean('requires_shadow').notNull().default(true),
  protected: boolean('protected').notNull().default(false),
  metricsTargets: jsonb('metrics_targets').$type<MetricsTarget[]>().notNull().default([]),
  weightDrivers: jsonb('weight_drivers')
    .$type<Record<string, WeightDriver>>()
    .notNull()
    .default({}),
  /** how long agents go on without control here (null: control's own setting) */
  controlGraceS: integer('control_grace_s'),
  /** cap on the fleet's request rate here (per second; null: none) */
  maxRate: doublePrecision('max_rate'),
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
    createdBy: text('created_by'),
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
    launchedBy: text('launched_by'),
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
    /** why a failed shard stopped */
    reason: text('reason'),
    /** requests its intervals counted so far, and when the last interval arrived */
    requests: bigint('requests', { mode: 'number' }).notNull().default(0),
    lastIntervalAt: at('last_interval_at'),
    /** control's clock minus its agent's when it claimed (ms) */
    clockOffsetMs: doublePrecision('clock_offset_ms'),
    /** a k6 script's shard: how its runner ended (k6's exit code) and its final metrics */
    k6ExitCode: integer('k6_exit_code'),
    k6Metrics: jsonb('k6_metrics').$type<JsonObject>(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.shardIndex] })],
);

/** Which control is active when several share the database (see 008_durable_runs.sql). */
export const controlLeader = pgTable('control_leader', {
  id: smallint('id').primaryKey().default(1),
  holder: text('holder').notNull(),
  url: text('url').notNull(),
  leaseUntil: at('lease_until').notNull(),
  since: at('since').notNull().defaultNow(),
});

/** What any control needs to go on coordinating a run (see 008_durable_runs.sql). */
export const runCoordination = pgTable('run_coordination', {
  runId: text('run_id')
    .primaryKey()
    .references(() => runs.id, { onDelete: 'cascade' }),
  plan: jsonb('plan').$type<JsonObject>().notNull(),
  waitingSince: at('waiting_since').notNull().defaultNow(),
  startAtMs: bigint('start_at_ms', { mode: 'number' }),
  stopReason: text('stop_reason'),
  /** an open-model run's rate is its profile's times this, from the last change on */
  rateMultiplier: doublePrecision('rate_multiplier').notNull().default(1),
  /** a k6 run's setup() ran: when every agent's VUs start, and what it returned */
  k6Setup: jsonb('k6_setup').$type<K6Setup>(),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/** A k6 run's setup() as control said it: VUs start `at` (control's epoch ms), with `data`. */
export interface K6Setup {
  at: number;
  data?: string;
}

/** A run's timeline of live rate changes (see 009_fleet.sql). */
export const runRateChanges = pgTable(
  'run_rate_changes',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    atMs: bigint('at_ms', { mode: 'number' }).notNull(),
    rateMultiplier: doublePrecision('rate_multiplier').notNull(),
    changedBy: text('changed_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.atMs] })],
);

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
    /** versions stored before corpus_request_chunks: the requests as one JSON array */
    requests: text('requests'),
    createdAt: at('created_at').notNull().defaultNow(),
    createdBy: text('created_by'),
  },
  (t) => [primaryKey({ columns: [t.corpusId, t.version] })],
);

/** A version's requests, a few thousand at a time, gzipped (see migration 010). */
export const corpusRequestChunks = pgTable(
  'corpus_request_chunks',
  {
    corpusId: text('corpus_id').notNull(),
    version: integer('version').notNull(),
    chunk: integer('chunk').notNull(),
    requestCount: integer('request_count').notNull(),
    /** gzip of the chunk's requests as JSON texts joined by commas */
    requestsGz: bytea('requests_gz').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.corpusId, t.version, t.chunk] }),
    foreignKey({
      columns: [t.corpusId, t.version],
      foreignColumns: [corpusVersions.corpusId, corpusVersions.version],
    }).onDelete('cascade'),
  ],
);

export type UserRole = 'viewer' | 'author' | 'operator' | 'admin';
export type TokenRole = UserRole | 'agent';

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  role: text('role').$type<UserRole>().notNull(),
  environments: text('environments').array().notNull().default(sql`'{}'`),
  passwordHash: text('password_hash'),
  source: text('source').$type<'local' | 'oidc'>().notNull().default('local'),
  subject: text('subject').unique(),
  disabled: boolean('disabled').notNull().default(false),
  createdAt: at('created_at').notNull().defaultNow(),
  updatedAt: at('updated_at').notNull().defaultNow(),
  lastSignInAt: at('last_sign_in_at'),
});

export const apiTokens = pgTable('api_tokens', {
  id: text('id').primaryKey(),
  hash: text('hash').notNull().unique(),
  name: text('name').notNull(),
  userId: text('user_id').references(() => users.id),
  role: text('role').$type<TokenRole>().notNull(),
  environments: text('environments').array().notNull().default(sql`'{}'`),
  createdAt: at('created_at').notNull().defaultNow(),
  expiresAt: at('expires_at'),
  lastUsedAt: at('last_used_at'),
  revokedAt: at('revoked_at'),
});

export const sessions = pgTable('sessions', {
  hash: text('hash').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  csrf: text('csrf').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
  lastSeenAt: at('last_seen_at').notNull().defaultNow(),
  expiresAt: at('expires_at').notNull(),
});

export const oidcLogins = pgTable('oidc_logins', {
  stateHash: text('state_hash').primaryKey(),
  verifier: text('verifier').notNull(),
  nonce: text('nonce').notNull(),
  returnTo: text('return_to').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
});

export type AuditActorKind = 'user' | 'token' | 'agent' | 'service' | 'anonymous' | 'system';
export type AuditOutcome = 'ok' | 'denied' | 'invalid' | 'failed';

/** Append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export const auditEvents = pgTable('audit_events', {
  id: text('id').primaryKey(),
  at: at('at').notNull().defaultNow(),
  actor: text('actor').notNull(),
  actorKind: text('actor_kind').$type<AuditActorKind>().notNull(),
  source: text('source').notNull(),
  action: text('action').notNull(),
  target: text('target'),
  outcome: text('outcome').$type<AuditOutcome>().notNull(),
  detail: jsonb('detail').$type<JsonObject>().notNull().default({}),
});

export type ApprovalSubject = 'run' | 'schedule';
export type ApprovalState = 'pending' | 'approved' | 'refused' | 'expired';

export const approvals = pgTable(
  'approvals',
  {
    subjectKind: text('subject_kind').$type<ApprovalSubject>().notNull(),
    subjectId: text('subject_id').notNull(),
    state: text('state').$type<ApprovalState>().notNull().default('pending'),
    requestedBy: text('requested_by').notNull(),
    requesterUserId: text('requester_user_id'),
    requestedAt: at('requested_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    decidedBy: text('decided_by'),
    deciderUserId: text('decider_user_id'),
    decidedAt: at('decided_at'),
    reason: text('reason'),
  },
  (t) => [primaryKey({ columns: [t.subjectKind, t.subjectId] })],
);

export const enrolledAgents = pgTable('agents', {
  id: text('id').primaryKey(),
  enrollment: text('enrollment').notNull(),
  host: text('host').notNull(),
  version: text('version').notNull(),
  tokenId: text('token_id').references(() => apiTokens.id),
  enrolledBy: text('enrolled_by'),
  enrolledAt: at('enrolled_at').notNull().defaultNow(),
  revokedAt: at('revoked_at'),
});

export const environmentSecrets = pgTable(
  'environment_secrets',
  {
    environment: text('environment')
      .notNull()
      .references(() => environments.name, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    sealed: text('sealed').notNull(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    updatedBy: text('updated_by'),
  },
  (t) => [primaryKey({ columns: [t.environment, t.name] })],
);

/** A weight-shift capacity probe; `restoredAt` null with any status: weights may be shifted. */
export const weightProbes = pgTable('weight_probes', {
  id: text('id').primaryKey(),
  environment: text('environment')
    .notNull()
    .references(() => environments.name),
  service: text('service').notNull(),
  instance: integer('instance').notNull(),
  instanceUrl: text('instance_url').notNull(),
  input: jsonb('input').$type<JsonObject>().notNull(),
  driver: jsonb('driver').$type<WeightDriver>().notNull(),
  status: text('status').$type<WeightProbeStatus>().notNull(),
  originalWeights: jsonb('original_weights').$type<number[]>().notNull(),
  levels: jsonb('levels').$type<WeightProbeLevel[]>().notNull().default([]),
  redline: jsonb('redline').$type<JsonObject>(),
  reason: text('reason'),
  createdBy: text('created_by').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
  endedAt: at('ended_at'),
  restoredAt: at('restored_at'),
});
