// infra/k8s/redis.yaml's high availability for real: test/redis-ha-trial.sh runs the
// ConfigMaps' scripts, redis-server and Sentinel with the manifest's arguments and HAProxy
// with its configuration, as three pods and a proxy in private network and mount
// namespaces, kills the master and starts it again. Needs root (unshare), redis-server,
// redis-cli and haproxy; skipped, saying so, where one is missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { root } from './support.js';

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const missing = [
  ...(process.getuid?.() === 0 ? [] : ['root']),
  ...['unshare', 'redis-server', 'redis-cli', 'haproxy', 'openssl'].filter((c) => !has(c)),
];

describe('Redis with Sentinel (infra/k8s/redis.yaml)', () => {
  it('replicates over TLS, fails over to a replica the proxy then follows, and takes a restarted master back as a replica', {
    skip: missing.length > 0 && `needs ${missing.join(', ')}`,
    timeout: 180_000,
  }, () => {
    const trial = spawnSync(
      'unshare',
      ['--mount', '--net', 'sh', join(root, 'test/redis-ha-trial.sh')],
      { encoding: 'utf8', timeout: 170_000 },
    );
    const out = `${trial.stdout}\n${trial.stderr}`;
    assert.equal(trial.status, 0, out);
    const line = (key: string) =>
      out
        .split('\n')
        .filter((l) => l.startsWith(`${key}: `))
        .map((l) => l.slice(key.length + 2).trim());
    assert.deepEqual(line('started pod0'), ['role:master'], out);
    for (const pod of ['pod1', 'pod2'])
      assert.deepEqual(
        line(`started ${pod}`),
        ['role:slave master_host:loadline-redis-0 master_link_status:up'],
        out,
      );
    // The monitor user (KEDA, the proxy's checks) reads the queue's length, nothing more.
    assert.deepEqual(line('monitor LLEN wait'), ['0']);
    assert.match(line('monitor SET')[0] ?? '', /NOPERM/);
    assert.match(line('monitor LLEN results')[0] ?? '', /NOPERM/);
    // The Sentinels answer only with their password (REDIS_SENTINEL_PASSWORD).
    assert.match(line('sentinel without password')[0] ?? '', /WRONGPASS|NOAUTH/, out);
    assert.deepEqual(line('haproxy config'), ['valid']);
    const [before, after] = line('sentinel master');
    assert.equal(before, 'loadline-redis-0');
    assert.match(after ?? '', /^loadline-redis-[12]$/, out);
    assert.ok(Number(line('failover seconds')[0]) <= 15, out);
    // Through the proxy: the write before the failover is there, and a write after it
    // succeeds (a replica would answer READONLY).
    assert.deepEqual(line('proxy SET'), ['OK', 'OK'], out);
    assert.deepEqual(line('proxy GET'), ['one'], out);
    assert.deepEqual(
      line('restarted pod0'),
      [`role:slave master_host:${after} master_link_status:up`],
      out,
    );
    assert.deepEqual(line('pod0 GET'), ['two'], out);
  });
});
