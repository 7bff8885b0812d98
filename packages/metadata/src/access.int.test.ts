import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { MetadataStore } from './index.js';
import { backends, type TestDatabase, unique } from './test-backends.js';

const hash = () => createHash('sha256').update(randomBytes(32)).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of await backends()) {
  describe(`access store on ${backend.name}`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let store: MetadataStore;
    before(async () => {
      db = await backend.create();
      store = db.store;
    });
    after(() => db?.drop());

    it('keeps the audit log append-only, even against SQL that tries to change it', async () => {
      const event = await store.access.appendAudit({
        actor: 'user:alice',
        actorKind: 'user',
        source: '127.0.0.1',
        action: 'run.launch',
        target: 'run:run_1',
        outcome: 'ok',
        detail: { environment: 'staging' },
      });
      for (const statement of [
        sql`update audit_events set outcome = 'denied' where id = ${event.id}`,
        sql`delete from audit_events where id = ${event.id}`,
        sql`truncate audit_events`,
      ]) {
        await assert.rejects(store.db.execute(statement), (error: Error) =>
          /append-only/.test(String((error.cause as Error | undefined)?.message ?? error.message)),
        );
      }
      const { events } = await store.access.listAudit({ actor: 'user:alice' });
      assert.deepEqual(
        events.map((e) => [e.id, e.outcome]),
        [[event.id, 'ok']],
      );
    });

    it('pages the audit log newest first and filters by actor, action prefix and time', async () => {
      const actor = `user:${unique('pager')}`;
      for (const action of ['run.launch', 'run.stop', 'environment.put']) {
        await store.access.appendAudit({
          actor,
          actorKind: 'user',
          source: 's',
          action,
          outcome: 'ok',
        });
      }
      const first = await store.access.listAudit({ actor, limit: 2 });
      assert.deepEqual(
        first.events.map((e) => e.action),
        ['environment.put', 'run.stop'],
      );
      assert.ok(first.nextCursor);
      const rest = await store.access.listAudit({ actor, limit: 2, cursor: first.nextCursor });
      assert.deepEqual(
        rest.events.map((e) => e.action),
        ['run.launch'],
      );
      assert.equal(rest.nextCursor, null);
      const runs = await store.access.listAudit({ actor, action: 'run.*' });
      assert.deepEqual(runs.events.map((e) => e.action).sort(), ['run.launch', 'run.stop']);
      const later = await store.access.listAudit({ actor, from: new Date(Date.now() + 60_000) });
      assert.deepEqual(later.events, []);
      // "%" and "_" in a prefix are literal, not patterns.
      assert.deepEqual((await store.access.listAudit({ actor, action: '%*' })).events, []);
    });

    it('finds live tokens by hash only: not revoked, not expired, with their owner', async () => {
      const user = await store.access.putUser({
        name: unique('u'),
        role: 'operator',
        environments: ['a', 'a', 'b'],
      });
      assert.deepEqual(user.environments, ['a', 'b']);
      const live = hash();
      const expired = hash();
      const token = await store.access.createToken({
        hash: live,
        name: 'ci',
        userId: user.id,
        role: 'operator',
        environments: ['a'],
        expiresAt: new Date(Date.now() + 60_000),
      });
      await store.access.createToken({
        hash: expired,
        name: 'old',
        userId: user.id,
        role: 'viewer',
        expiresAt: new Date(Date.now() - 1000),
      });
      const found = await store.access.findLiveToken(live);
      assert.equal(found?.id, token.id);
      assert.equal(found?.owner, user.name);
      assert.equal(found?.ownerRole, 'operator');
      assert.equal(await store.access.findLiveToken(expired), undefined);
      await store.access.revokeToken(token.id);
      assert.equal(await store.access.findLiveToken(live), undefined);
      const rows = (
        (await store.db.execute(sql`select * from api_tokens`)) as unknown as {
          rows: Record<string, unknown>[];
        }
      ).rows;
      assert.ok(
        rows.every((r) => !('token' in r)),
        'no column holds a token',
      );
    });

    it('ends sessions left idle, and every session of a user at once', async () => {
      const user = await store.access.putUser({ name: unique('s'), role: 'viewer' });
      const one = hash();
      const two = hash();
      for (const h of [one, two]) {
        await store.access.createSession({
          hash: h,
          userId: user.id,
          csrf: 'c',
          expiresAt: new Date(Date.now() + 60_000),
        });
      }
      assert.equal((await store.access.findLiveSession(one, 60_000))?.user.id, user.id);
      await sleep(300);
      assert.equal(await store.access.findLiveSession(one, 200), undefined, 'idle too long');
      assert.ok(await store.access.findLiveSession(two, 60_000));
      await store.access.deleteSessionsOf(user.id, two);
      assert.ok(await store.access.findLiveSession(two, 60_000), 'the one kept');
      await store.access.deleteSessionsOf(user.id);
      assert.equal(await store.access.findLiveSession(two, 60_000), undefined);
    });

    it('decides an approval once; an expired one cannot be decided', async () => {
      const subjectId = unique('run');
      await store.access.requestApproval({
        subjectKind: 'run',
        subjectId,
        requestedBy: 'user:a',
        requesterUserId: null,
        expiresAt: new Date(Date.now() + 60_000),
      });
      const decide = (state: 'approved' | 'refused') =>
        store.access.decideApproval({
          subjectKind: 'run',
          subjectId,
          state,
          decidedBy: 'user:b',
          deciderUserId: null,
          reason: null,
        });
      const [a, b] = await Promise.all([decide('approved'), decide('refused')]);
      assert.equal([a, b].filter(Boolean).length, 1, 'exactly one decision wins');
      const late = unique('run');
      await store.access.requestApproval({
        subjectKind: 'schedule',
        subjectId: late,
        requestedBy: 'user:a',
        requesterUserId: null,
        expiresAt: new Date(Date.now() - 1),
      });
      const expired = await store.access.expireApprovals();
      assert.ok(expired.some((e) => e.subjectId === late));
      assert.equal((await store.access.getApproval('schedule', late))?.state, 'expired');
    });

    it('does not let single sign-on take over a local user of the same name', async () => {
      const name = unique('same');
      await store.access.putUser({ name, role: 'admin', passwordHash: 'scrypt$x' });
      await assert.rejects(
        store.access.upsertSsoUser({ subject: 'iss|sub-1', name, role: 'viewer' }),
        /does not take it over/,
      );
      const sso = await store.access.upsertSsoUser({
        subject: 'iss|sub-2',
        name: unique('sso'),
        role: 'viewer',
      });
      const again = await store.access.upsertSsoUser({
        subject: 'iss|sub-2',
        name: sso.name,
        role: 'operator',
        environments: ['x'],
      });
      assert.equal(again.id, sso.id);
      assert.equal(again.role, 'operator', 'the role follows the groups at each sign-in');
    });
  });
}
