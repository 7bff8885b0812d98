import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inArray } from 'drizzle-orm';
import {
  ConflictError,
  InvalidInputError,
  InvalidTransitionError,
  type MetadataStore,
  type Run,
  tables,
  UnknownEnvironmentError,
  UnknownRunError,
  UnknownScenarioError,
  UnknownScheduleError,
} from './index.js';
import { backends, type TestDatabase, unique } from './test-backends.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of await backends()) {
  describe(`runs on ${backend.name}`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let store: MetadataStore;
    /** Stores to spread concurrent calls over: two pools on Postgres, one PGlite. */
    let stores: MetadataStore[];
    const env = unique('env');

    before(async () => {
      db = await backend.create();
      store = db.store;
      stores = [store, (await db.openAnother()) ?? store];
      await store.upsertEnvironment({ name: env, allowedHosts: ['localhost'] });
    });
    after(() => db?.drop());

    /** A new scenario with `versions` versions. */
    async function scenario(versions = 1): Promise<string> {
      const name = unique('scn');
      for (let v = 1; v <= versions; v++) await store.saveScenarioVersion(name, `v${v}`, { v });
      return name;
    }

    describe('createRun', () => {
      it('queues a run of the latest or a pinned version with one pending shard per agent', async () => {
        const name = await scenario(2);
        const latest = await store.createRun({ scenario: name, environment: env, agents: 3 });
        assert.match(latest.id, /^run_[0-9A-Z]{26}$/);
        assert.deepEqual(
          [latest.scenario, latest.scenarioVersion, latest.status, latest.agentsRequested],
          [name, 2, 'queued', 3],
        );
        assert.deepEqual(
          [latest.startedAt, latest.endedAt, latest.passed, latest.summary, latest.coordinator],
          [null, null, null, null, null],
        );
        const shards = await store.listShards(latest.id);
        assert.deepEqual(
          shards.map((s) => [s.shardIndex, s.state, s.agentId]),
          [
            [0, 'pending', null],
            [1, 'pending', null],
            [2, 'pending', null],
          ],
        );
        const pinned = await store.createRun({
          scenario: name,
          version: 1,
          environment: env,
          agents: 1,
          options: { rate: 500, duration: '1m' },
        });
        assert.equal(pinned.scenarioVersion, 1);
        assert.deepEqual(await store.getRun(pinned.id), pinned);
      });

      it('names what is unknown or invalid and writes nothing', async () => {
        const name = await scenario();
        const base = { scenario: name, environment: env, agents: 2 };
        await assert.rejects(
          store.createRun({ ...base, scenario: unique('x') }),
          UnknownScenarioError,
        );
        await assert.rejects(store.createRun({ ...base, version: 5 }), /no version 5/);
        await assert.rejects(
          store.createRun({ ...base, environment: unique('x') }),
          UnknownEnvironmentError,
        );
        await assert.rejects(
          store.createRun({ ...base, scheduleId: 'sch_nope' }),
          UnknownScheduleError,
        );
        await assert.rejects(store.createRun({ ...base, agents: 0, id: 'nope' }), (e: unknown) => {
          assert.ok(e instanceof InvalidInputError);
          assert.deepEqual(
            e.issues.map((i) => i.path),
            ['agents', 'id'],
          );
          return true;
        });
        const id = `run_${unique('dup').replace('-', '')}`;
        await store.createRun({ ...base, id });
        await assert.rejects(store.createRun({ ...base, id }), ConflictError);
        const { runs } = await store.listRuns({ scenario: name });
        assert.deepEqual(
          runs.map((r) => r.id),
          [id],
        );
        assert.equal((await store.listShards(id)).length, 2, 'the duplicate added no shards');
        await assert.rejects(store.getRun('run_missing'), UnknownRunError);
      });
    });

    describe('listRuns', () => {
      let name: string;
      let all: Run[];

      before(async () => {
        name = await scenario();
        const created: Run[] = [];
        for (let i = 0; i < 23; i++) {
          created.push(await store.createRun({ scenario: name, environment: env, agents: 1 }));
        }
        // Runs created in one millisecond share created_at: force ties so the id breaks them.
        const tied = created.slice(5, 12).map((r) => r.id);
        await store.db
          .update(tables.runs)
          .set({ createdAt: created[5]!.createdAt })
          .where(inArray(tables.runs.id, tied));
        all = await Promise.all(created.map((r) => store.getRun(r.id)));
        all.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
      });

      async function collect(query: Parameters<MetadataStore['listRuns']>[0]) {
        const seen: Run[] = [];
        let cursor = query?.cursor;
        for (let page = 0; page < 50; page++) {
          const result = await store.listRuns({ ...query, cursor });
          assert.ok(result.runs.length <= (query?.limit ?? 50));
          seen.push(...result.runs);
          if (result.nextCursor === null) return seen;
          cursor = result.nextCursor;
        }
        throw new Error('pagination did not end');
      }

      it('returns every run exactly once, newest first, across pages', async () => {
        for (const limit of [1, 4, 23, 100]) {
          const seen = await collect({ scenario: name, limit });
          assert.deepEqual(
            seen.map((r) => r.id),
            all.map((r) => r.id),
            `limit ${limit}`,
          );
        }
      });

      it('is not disturbed by runs created between pages', async () => {
        const first = await store.listRuns({ scenario: name, limit: 10 });
        const newer = await store.createRun({ scenario: name, environment: env, agents: 1 });
        const rest = await collect({ scenario: name, limit: 10, cursor: first.nextCursor! });
        const ids = [...first.runs, ...rest].map((r) => r.id);
        assert.deepEqual(
          ids,
          all.map((r) => r.id),
        );
        assert.equal((await store.listRuns({ scenario: name, limit: 1 })).runs[0]!.id, newer.id);
        all.unshift(newer);
      });

      it('filters by status and time window', async () => {
        const [a, b] = [all[3]!, all[15]!];
        assert.equal(await store.transitionRun(a.id, ['queued'], 'running'), true);
        assert.equal(await store.transitionRun(b.id, ['queued'], 'aborted'), true);
        const running = await collect({ scenario: name, status: 'running', limit: 5 });
        assert.deepEqual(
          running.map((r) => r.id),
          [a.id],
        );
        const either = await collect({ scenario: name, status: ['running', 'aborted'] });
        assert.deepEqual(
          either.map((r) => r.id),
          [a.id, b.id],
        );
        const from = all[20]!.createdAt;
        const to = all[2]!.createdAt;
        const window = await collect({ scenario: name, from, to, limit: 3 });
        const expected = all.filter((r) => r.createdAt >= from && r.createdAt < to);
        assert.ok(expected.length > 5);
        assert.deepEqual(
          window.map((r) => r.id),
          expected.map((r) => r.id),
        );
      });

      it('refuses a cursor it did not make and an unknown scenario', async () => {
        await assert.rejects(store.listRuns({ cursor: 'garbage!' }), /cursor: not a cursor/);
        await assert.rejects(store.listRuns({ limit: 0 }), InvalidInputError);
        await assert.rejects(store.listRuns({ scenario: unique('nope') }), UnknownScenarioError);
      });
    });

    describe('transitionRun', () => {
      it('moves a run along its lifecycle, filling in times and the verdict', async () => {
        const run = await store.createRun({
          scenario: await scenario(),
          environment: env,
          agents: 1,
        });
        assert.equal(await store.transitionRun(run.id, ['queued'], 'waiting-for-agents'), true);
        assert.equal(
          await store.transitionRun(run.id, ['queued', 'waiting-for-agents'], 'running'),
          true,
        );
        const running = await store.getRun(run.id);
        assert.equal(running.status, 'running');
        assert.ok(running.startedAt && running.startedAt >= run.createdAt);
        const summary = { p99: 12.5, requests: 1000, steps: ['a', 'b'] };
        assert.equal(await store.transitionRun(run.id, ['running'], 'passed', { summary }), true);
        const done = await store.getRun(run.id);
        assert.deepEqual(
          [done.status, done.passed, done.summary, done.startedAt],
          ['passed', true, summary, running.startedAt],
        );
        assert.ok(done.endedAt && done.endedAt >= running.startedAt!);
      });

      it('refuses illegal and stale transitions and changes nothing', async () => {
        const run = await store.createRun({
          scenario: await scenario(),
          environment: env,
          agents: 1,
        });
        await assert.rejects(
          store.transitionRun(run.id, ['queued'], 'passed', { summary: { x: 1 } }),
          InvalidTransitionError,
        );
        assert.deepEqual(await store.getRun(run.id), run);
        assert.equal(
          await store.transitionRun(run.id, ['running'], 'aborted', { abortReason: 'stale' }),
          false,
          'compare-and-set: the run is not running',
        );
        assert.deepEqual(await store.getRun(run.id), run);
        assert.equal(
          await store.transitionRun(run.id, ['queued'], 'aborted', { abortReason: 'op' }),
          true,
        );
        const aborted = await store.getRun(run.id);
        assert.deepEqual(
          [aborted.status, aborted.abortReason, aborted.passed],
          ['aborted', 'op', null],
        );
        await assert.rejects(
          store.transitionRun(run.id, ['aborted'], 'running'),
          /aborted is terminal/,
        );
        await assert.rejects(
          store.transitionRun('run_nope', ['queued'], 'running'),
          UnknownRunError,
        );
        await assert.rejects(
          store.transitionRun(run.id, ['bogus' as 'queued'], 'running'),
          InvalidInputError,
        );
        assert.deepEqual(await store.getRun(run.id), aborted);
      });

      it('lets exactly one of many concurrent transitions win', async () => {
        const run = await store.createRun({
          scenario: await scenario(),
          environment: env,
          agents: 1,
        });
        await store.transitionRun(run.id, ['queued'], 'running');
        const outcomes = ['passed', 'failed', 'aborted', 'degraded', 'error'] as const;
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            stores[i % 2]!.transitionRun(run.id, ['running'], outcomes[i % outcomes.length]!),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const winner = outcomes[results.indexOf(true) % outcomes.length];
        assert.equal((await store.getRun(run.id)).status, winner);
      });
    });

    describe('shards', () => {
      const waitingRun = async (agents: number) => {
        const run = await store.createRun({ scenario: await scenario(), environment: env, agents });
        await store.beginCoordination(run.id, { planned: true });
        return run;
      };

      it('give one shard to exactly one of many claimants, on either replica', async () => {
        const run = await waitingRun(3);
        const claims = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            stores[i % 2]!.claimRunShard({ runId: run.id, agentId: `a${i}`, shardIndex: 1 }),
          ),
        );
        assert.equal(claims.filter(Boolean).length, 1);
        const winner = `a${claims.indexOf(true)}`;
        assert.equal(
          await store.claimRunShard({ runId: run.id, agentId: winner, shardIndex: 1 }),
          true,
          'a claim delivered twice still holds',
        );
        const shards = await store.listShards(run.id);
        assert.deepEqual(
          shards.map((s) => [s.state, s.agentId]),
          [
            ['pending', null],
            ['claimed', winner],
            ['pending', null],
          ],
        );
      });

      it('are not claimed once the run started: the first start written stands', async () => {
        const run = await waitingRun(2);
        assert.equal(
          await store.claimRunShard({ runId: run.id, agentId: 'a1', shardIndex: 0 }),
          true,
        );
        assert.equal(await store.recordStart(run.id, 1_000_500), 1_000_500);
        assert.equal(
          await store.recordStart(run.id, 2_000_500),
          1_000_500,
          "another control's later start",
        );
        assert.equal(
          await store.claimRunShard({ runId: run.id, agentId: 'a2', shardIndex: 1 }),
          false,
        );
        const coordination = (await store.getCoordination(run.id))!;
        assert.equal(coordination.startAtMs, 1_000_500);
        assert.deepEqual(coordination.plan, { planned: true });
        assert.deepEqual(
          coordination.shards.map((s) => s.state),
          ['claimed', 'pending'],
        );
      });

      it("keep a k6 shard's exit code and final metrics, and a k6 run's setup written once", async () => {
        const run = await waitingRun(1);
        await store.claimRunShard({ runId: run.id, agentId: 'a1', shardIndex: 0 });
        const metrics = { elapsedMs: 1000, metrics: [], checks: [], groups: [''] };
        assert.equal(
          await store.endShard({
            runId: run.id,
            shardIndex: 0,
            agentId: 'a1',
            aborted: true,
            reason: 'test failed: marked',
            k6ExitCode: 110,
            k6Metrics: metrics,
          }),
          true,
        );
        assert.deepEqual(await store.recordK6Setup(run.id, { at: 1_000_500, data: '{"t":1}' }), {
          at: 1_000_500,
          data: '{"t":1}',
        });
        assert.deepEqual(
          await store.recordK6Setup(run.id, { at: 2_000_500 }),
          { at: 1_000_500, data: '{"t":1}' },
          "another control's later setup",
        );
        const coordination = (await store.getCoordination(run.id))!;
        assert.deepEqual(coordination.k6Setup, { at: 1_000_500, data: '{"t":1}' });
        const [shard] = coordination.shards;
        assert.equal(shard?.k6ExitCode, 110);
        assert.deepEqual(shard?.k6Metrics, metrics);
      });

      it('end only by their holder, are lost when it vanishes, and keep their progress', async () => {
        const run = await waitingRun(3);
        await store.claimRunShard({ runId: run.id, agentId: 'a1', shardIndex: 0 });
        await store.claimRunShard({ runId: run.id, agentId: 'a2', shardIndex: 1 });
        const end = { runId: run.id, shardIndex: 0, aborted: false };
        assert.equal(await store.endShard({ ...end, agentId: 'a2' }), false, 'not its shard');
        assert.equal(await store.endShard({ ...end, agentId: 'a1' }), true);
        assert.equal(
          await store.endShard({ ...end, agentId: 'a1', aborted: true }),
          false,
          'ended once',
        );
        assert.equal(await store.loseShard(run.id, 0), false, 'a finished shard stays finished');
        assert.equal(await store.loseShard(run.id, 1), true);
        // An agent that refused a shard it never claimed ends it, with its reason.
        assert.equal(
          await store.endShard({
            runId: run.id,
            shardIndex: 2,
            agentId: 'a3',
            aborted: true,
            reason: 'no start',
          }),
          true,
        );
        const at = new Date(Math.floor(Date.now() / 1000) * 1000);
        const earlier = new Date(at.getTime() - 2001);
        // One statement for several shards, each its own values.
        await store.recordShardProgress(run.id, [
          { shardIndex: 1, requests: 1234, lastIntervalAt: at },
          { shardIndex: 2, requests: 5_000_000_000, lastIntervalAt: earlier },
        ]);
        await store.recordShardProgress(run.id, []);
        const shards = await store.listShards(run.id);
        assert.deepEqual(
          shards.map((s) => [s.state, s.agentId, s.reason, s.requests, s.finishedAt !== null]),
          [
            ['finished', 'a1', null, 0, true],
            ['lost', 'a2', null, 1234, true],
            ['failed', 'a3', 'no start', 5_000_000_000, true],
          ],
        );
        assert.equal(shards[1]!.lastIntervalAt?.getTime(), at.getTime());
        assert.equal(shards[2]!.lastIntervalAt?.getTime(), earlier.getTime());
      });

      it('keep the first stop reason; ended and unknown runs refuse claims', async () => {
        const run = await waitingRun(2);
        assert.equal(await store.recordStop(run.id, 'guardrail: errors'), 'guardrail: errors');
        assert.equal(await store.recordStop(run.id, 'stopped by alice'), 'guardrail: errors');
        assert.equal((await store.getCoordination(run.id))!.stopReason, 'guardrail: errors');
        await store.transitionRun(run.id, ['queued'], 'aborted');
        assert.equal(
          await store.claimRunShard({ runId: run.id, agentId: 'a1', shardIndex: 0 }),
          false,
        );
        const never = await store.createRun({
          scenario: await scenario(),
          environment: env,
          agents: 1,
        });
        assert.equal(await store.getCoordination(never.id), null);
        await assert.rejects(store.getCoordination('run_nope'), UnknownRunError);
        await assert.rejects(store.listShards('run_nope'), UnknownRunError);
        await assert.rejects(
          store.claimRunShard({ runId: run.id, agentId: 'has space', shardIndex: 0 }),
          InvalidInputError,
        );
      });
    });

    describe('coordination leases', () => {
      it('belong to one replica until they expire or are released', async () => {
        const run = await store.createRun({
          scenario: await scenario(),
          environment: env,
          agents: 1,
        });
        const lease = (coordinator: string, ttlMs = 10_000) =>
          store.acquireRunLease({ runId: run.id, coordinator, ttlMs });
        assert.ok((await store.listOrphanedRuns()).some((r) => r.id === run.id));
        assert.equal(await lease('c1'), true);
        assert.equal(await lease('c2'), false);
        assert.equal(await lease('c1', 150), true, 'the holder renews (here: shortens) it');
        assert.ok(!(await store.listOrphanedRuns()).some((r) => r.id === run.id));
        await sleep(200);
        assert.ok((await store.listOrphanedRuns()).some((r) => r.id === run.id));
        assert.equal(await lease('c2'), true, 'an expired lease can be taken over');
        assert.equal((await store.getRun(run.id)).coordinator, 'c2');
        assert.equal(await store.releaseRunLease(run.id, 'c1'), false);
        assert.equal(await store.releaseRunLease(run.id, 'c2'), true);
        // Released, the lease has ended (not vanished): an orphan at once, free to take.
        const released = await store.getRun(run.id);
        assert.equal(released.coordinator, null);
        assert.ok(released.leaseUntil !== null && released.leaseUntil.getTime() <= Date.now());
        assert.ok((await store.listOrphanedRuns()).some((r) => r.id === run.id));
        assert.equal(await lease('c1'), true);
        await store.transitionRun(run.id, ['queued'], 'error');
        assert.equal(await lease('c1'), false, 'an ended run needs no coordinator');
        assert.equal((await store.getRun(run.id)).leaseUntil, null);
        await assert.rejects(lease('c1', 5), InvalidInputError);
      });

      it('go to exactly one of many replicas racing for a run', async () => {
        const run = await store.createRun({
          scenario: await scenario(),
          environment: env,
          agents: 1,
        });
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            stores[i % 2]!.acquireRunLease({ runId: run.id, coordinator: `c${i}`, ttlMs: 5000 }),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal((await store.getRun(run.id)).coordinator, `c${results.indexOf(true)}`);
      });
    });
  });
}
