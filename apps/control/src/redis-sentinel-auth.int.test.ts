// Redis behind Sentinel as production runs it (infra/k8s/redis.yaml): the master and
// replica ask for a password (requirepass, masterauth), so does the Sentinel itself (its
// own requirepass), and, in the second set, every process speaks TLS only, replication and
// the Sentinel's own connections too. Loadline's connection (REDIS_URL's password and
// `rediss://` with LOADLINE_REDIS_CA's authority, REDIS_SENTINEL_PASSWORD for the Sentinel)
// must answer, refuse a wrong password of either or an untrusted certificate, and follow a
// failover (Debian's redis-server, started here; the master killed with SIGKILL).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { redisTopology } from '@loadline/config';
import { connectRedis, type Redis, redisAnswers } from '@loadline/queue';
import {
  cli,
  makeTestTls,
  redisServerMissing,
  type SentinelSet,
  startSentinelSet,
  type TestTls,
  until,
} from './testing-redis.js';

const skip =
  redisServerMissing() ||
  (spawnSync('sh', ['-c', 'command -v openssl']).status === 0
    ? false
    : 'needs openssl (apt-get install openssl)');
const passwords = { redis: 'redis-password-0123456789', sentinel: 'sentinel-password-0123456' };

for (const withTls of [false, true]) {
  const what = withTls ? 'passwords and TLS everywhere' : 'passwords';
  describe(`Redis behind Sentinel with ${what} (real redis-server)`, { skip }, () => {
    let set: SentinelSet;
    let tls: TestTls | undefined;
    let redis: Redis | undefined;
    // The host is not used (the Sentinel names the master): a wrong one proves it.
    const url = (password: string) => `${withTls ? 'rediss' : 'redis'}://:${password}@192.0.2.1:1`;
    const topology = (sentinelPassword?: string) =>
      redisTopology({
        REDIS_SENTINELS: set.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
        REDIS_SENTINEL_MASTER: set.name,
        REDIS_SENTINEL_PASSWORD: sentinelPassword,
      });
    const answers = (password: string, sentinelPassword?: string, ca = tls?.ca) =>
      redisAnswers(url(password), 1000, ca, topology(sentinelPassword));

    before(async () => {
      tls = withTls
        ? makeTestTls(mkdtempSync(join(tmpdir(), 'loadline-sentinel-tls-')))
        : undefined;
      set = await startSentinelSet('loadline-auth', { ...passwords, ...(tls ? { tls } : {}) });
    });
    after(async () => {
      redis?.disconnect();
      await set?.processes.stop();
    });

    it('answers with both passwords, and not with a wrong or missing one of either', async () => {
      assert.equal(await answers(passwords.redis, passwords.sentinel), true);
      assert.equal(await answers(passwords.redis, 'not-the-sentinel-password'), false);
      assert.equal(await answers(passwords.redis), false);
      assert.equal(await answers('not-the-redis-password', passwords.sentinel), false);
      if (withTls) {
        // A certificate from an authority the connection was not told to trust: no.
        const other = makeTestTls(mkdtempSync(join(tmpdir(), 'loadline-sentinel-other-ca-')));
        assert.equal(await answers(passwords.redis, passwords.sentinel, other.ca), false);
      }
    });

    it('follows a failover: writes reach the promoted replica', async () => {
      const connection = connectRedis(url(passwords.redis), {
        topology: topology(passwords.sentinel),
        ...(tls ? { tlsCa: tls.ca } : {}),
      });
      redis = connection;
      connection.on('error', () => {});
      await connection.xadd('loadline-auth-stream', '*', 'n', '1');
      // Replication is asynchronous: the kill must not come before the replica has it.
      assert.equal(await connection.wait(1, 5000), 1);
      await set.processes.kill('master');
      // Each write waits through the failover (the connection asks the Sentinel again).
      const startedAt = Date.now();
      await until(
        'a write after the failover',
        async () => (await connection.xadd('loadline-auth-stream', '*', 'n', '2')) !== null,
        30_000,
      );
      const tookMs = Date.now() - startedAt;
      const onReplica = await cli(
        set.replica,
        ...(tls ? ['--tls', '--cacert', tls.caFile] : []),
        '--no-auth-warning',
        '-a',
        passwords.redis,
        'XLEN',
        'loadline-auth-stream',
      );
      assert.equal(Number(onReplica), 2, `the promoted replica holds ${onReplica} entries`);
      assert.ok(tookMs < 20_000, `writes resumed ${tookMs} ms after the kill`);
      console.log(`# Sentinel with ${what}: writes resumed ${tookMs} ms after the master's kill`);
    });
  });
}
