import type { RunStatus } from '@loadline/api';
import { AccessStore } from './access-store.js';
import * as corpora from './corpora.js';
import { type Connection, connect, type Db, type OpenOptions } from './db.js';
import * as environments from './environments.js';
import * as leadership from './leadership.js';
import * as leaks from './leaks.js';
import { loadMigrations, MIGRATIONS_DIR, migrate } from './migrate.js';
import * as runs from './runs.js';
import * as scenarios from './scenarios.js';
import * as schedules from './schedules.js';
import type { JsonObject, K6Setup } from './schema.js';
import * as shards from './shards.js';
import * as weightProbes from './weight-probes.js';

/**
 * Loadline's metadata in Postgres: environments, versioned scenarios, runs and their
 * shards, schedules. The same code runs on embedded PGlite and on a Postgres
 * server; every method validates its input and throws a MetadataError subclass for
 * anything the caller got wrong. Holds no state of its own besides the connection, so any
 * number of control replicas can share one database.
 */
export class MetadataStore {
  /** users, tokens, sessions, the audit log, approvals, enrolled agents, secrets */
  readonly access: AccessStore;

  private constructor(private readonly connection: Connection) {
    this.access = new AccessStore(connection.db);
  }

  /**
   * Opens a Postgres server when `url` is set (DATABASE_URL), else embedded PGlite in
   * `dataDir` (e.g. `.loadline/pg`), else an in-memory PGlite. Call `migrate()` next.
   */
  static async open(options: OpenOptions = {}): Promise<MetadataStore> {
    return new MetadataStore(await connect(options));
  }

  /** Which engine this store runs on. */
  get kind(): 'pglite' | 'postgres' {
    return this.connection.kind;
  }

  /** The Drizzle database, for queries this class does not offer. */
  get db(): Db {
    return this.connection.db;
  }

  /** Applies pending migrations (safe to call from several processes at once). */
  async migrate(options: { dir?: string } = {}): Promise<string[]> {
    const migrations = await loadMigrations(options.dir ?? MIGRATIONS_DIR);
    return migrate((fn) => this.connection.rawTransaction(fn), migrations);
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  // Environments
  upsertEnvironment(input: environments.EnvironmentInput) {
    return environments.upsertEnvironment(this.db, input);
  }
  getEnvironment(name: string) {
    return environments.getEnvironment(this.db, name);
  }
  listEnvironments() {
    return environments.listEnvironments(this.db);
  }
  deleteEnvironment(name: string) {
    return environments.deleteEnvironment(this.db, name);
  }

  // Scenarios
  saveScenarioVersion(
    name: string,
    source: string,
    parsed: JsonObject,
    options: { createdBy?: string | null } = {},
  ) {
    return scenarios.saveScenarioVersion(this.db, { name, source, parsed, ...options });
  }
  getScenario(name: string, version?: number) {
    return scenarios.getScenario(this.db, name, version);
  }
  listScenarios() {
    return scenarios.listScenarios(this.db);
  }
  listVersions(name: string) {
    return scenarios.listVersions(this.db, name);
  }

  // Replay corpora
  saveCorpusVersion(input: corpora.SaveCorpusInput) {
    return corpora.saveCorpusVersion(this.db, input);
  }
  listCorpora() {
    return corpora.listCorpora(this.db);
  }
  getCorpus(name: string, options: { version?: number; requests?: boolean } = {}) {
    return corpora.getCorpus(this.db, name, options);
  }

  // Runs
  createRun(input: runs.CreateRunInput) {
    return runs.createRun(this.db, input);
  }
  getRun(id: string) {
    return runs.getRun(this.db, id);
  }
  // Weight-shift capacity probes
  createWeightProbe(probe: weightProbes.NewWeightProbe) {
    return weightProbes.createWeightProbe(this.db, probe);
  }
  getWeightProbe(id: string) {
    return weightProbes.getWeightProbe(this.db, id);
  }
  recordWeightProbeLevels(
    id: string,
    levels: Parameters<typeof weightProbes.recordWeightProbeLevels>[2],
  ) {
    return weightProbes.recordWeightProbeLevels(this.db, id, levels);
  }
  endWeightProbe(id: string, end: Parameters<typeof weightProbes.endWeightProbe>[2]) {
    return weightProbes.endWeightProbe(this.db, id, end);
  }
  markWeightsRestored(id: string) {
    return weightProbes.markWeightsRestored(this.db, id);
  }
  unrestoredWeightProbes() {
    return weightProbes.unrestoredWeightProbes(this.db);
  }

  recordLeak(runId: string, input: leaks.LeakInput) {
    return leaks.recordLeak(this.db, runId, input);
  }
  listLeaks(runId: string) {
    return leaks.listLeaks(this.db, runId);
  }
  listRuns(query: runs.ListRunsQuery = {}) {
    return runs.listRuns(this.db, query);
  }
  transitionRun(
    id: string,
    from: readonly RunStatus[],
    to: RunStatus,
    fields: runs.TransitionFields = {},
  ) {
    return runs.transitionRun(this.db, id, from, to, fields);
  }
  acquireRunLease(input: runs.LeaseInput) {
    return runs.acquireRunLease(this.db, input);
  }
  releaseRunLease(runId: string, coordinator: string) {
    return runs.releaseRunLease(this.db, runId, coordinator);
  }
  listOrphanedRuns() {
    return runs.listOrphanedRuns(this.db);
  }

  // Which control is active
  acquireLeadership(input: { holder: string; url: string; ttlMs: number; force?: boolean }) {
    return leadership.acquireLeadership(this.db, input);
  }
  getLeader() {
    return leadership.getLeader(this.db);
  }
  releaseLeadership(holder: string) {
    return leadership.releaseLeadership(this.db, holder);
  }
  endOthersRunLeases(holder: string) {
    return leadership.endOthersRunLeases(this.db, holder);
  }

  // Shards and the coordination of runs
  beginCoordination(runId: string, plan: JsonObject) {
    return shards.beginCoordination(this.db, runId, plan);
  }
  getCoordination(runId: string) {
    return shards.getCoordination(this.db, runId);
  }
  claimRunShard(input: shards.ShardClaim) {
    return shards.claimRunShard(this.db, input);
  }
  recordStart(runId: string, startAtMs: number) {
    return shards.recordStart(this.db, runId, startAtMs);
  }

  recordK6Setup(runId: string, setup: K6Setup) {
    return shards.recordK6Setup(this.db, runId, setup);
  }
  recordStop(runId: string, reason: string) {
    return shards.recordStop(this.db, runId, reason);
  }
  endShard(input: shards.ShardEnd) {
    return shards.endShard(this.db, input);
  }
  loseShard(runId: string, shardIndex: number) {
    return shards.loseShard(this.db, runId, shardIndex);
  }
  recordShardProgress(runId: string, progress: readonly shards.ShardProgress[]) {
    return shards.recordShardProgress(this.db, runId, progress);
  }
  recordRateChange(input: shards.RateChange) {
    return shards.recordRateChange(this.db, input);
  }

  listRateChanges(runId: string) {
    return shards.listRateChanges(this.db, runId);
  }

  listShards(runId: string) {
    return shards.listShards(this.db, runId);
  }

  // Schedules
  createSchedule(input: schedules.CreateScheduleInput) {
    return schedules.createSchedule(this.db, input);
  }
  getSchedule(idOrName: string) {
    return schedules.getSchedule(this.db, idOrName);
  }
  listSchedules(query: { paused?: boolean } = {}) {
    return schedules.listSchedules(this.db, query);
  }
  updateSchedule(idOrName: string, patch: schedules.UpdateScheduleInput) {
    return schedules.updateSchedule(this.db, idOrName, patch);
  }
  pauseSchedule(idOrName: string, paused = true) {
    return schedules.pauseSchedule(this.db, idOrName, paused);
  }
  deleteSchedule(idOrName: string) {
    return schedules.deleteSchedule(this.db, idOrName);
  }
}
