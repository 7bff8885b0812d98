import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AgentEnv,
  CliEnv,
  ControlEnv,
  controlGraceMs,
  DEFAULT_API_URL,
  DEFAULT_NAMESPACE,
  DemoMallEnv,
  EnvError,
  envPicker,
  parseEnv,
  redisTopology,
  saturationSetting,
} from './index.js';

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof EnvError, String(error));
    return error.issues.map((i) => `${i.variable}: ${i.message}`);
  }
  assert.fail('no EnvError');
}

describe('parseEnv', () => {
  it('applies the shared defaults and ignores variables the process does not read', () => {
    const env = parseEnv(ControlEnv, { PATH: '/bin', HOME: '/root' });
    assert.deepEqual(env, {
      LOADLINE_API: DEFAULT_API_URL,
      LOADLINE_NAMESPACE: DEFAULT_NAMESPACE,
      LOADLINE_OIDC_GROUPS_CLAIM: 'groups',
      LOADLINE_RESULTS_BACKLOG: '100000',
      LOADLINE_CONTROL_GRACE: '30s',
      REDIS_SENTINEL_MASTER: 'loadline',
      LOADLINE_RESULT_STREAMS: '1',
      LOADLINE_INGEST_THREADS: '0',
    });
    assert.equal(env.LOADLINE_API, 'http://127.0.0.1:7700');
    assert.equal(env.LOADLINE_NAMESPACE, 'loadline');
  });

  it('keeps what is set, and counts the empty string as unset', () => {
    const env = parseEnv(CliEnv, {
      LOADLINE_API: 'http://10.0.0.5:8800/',
      REDIS_URL: 'rediss://:pw@redis.internal:6380/2',
      DATABASE_URL: 'postgresql://u:p@db:5432/loadline',
      CLICKHOUSE_URL: 'https://ch:8443',
      LOADLINE_NAMESPACE: '',
      CHROMIUM_PATH: '/opt/chrome',
    });
    assert.equal(env.LOADLINE_API, 'http://10.0.0.5:8800/');
    assert.equal(env.REDIS_URL, 'rediss://:pw@redis.internal:6380/2');
    assert.equal(env.DATABASE_URL, 'postgresql://u:p@db:5432/loadline');
    assert.equal(env.CLICKHOUSE_URL, 'https://ch:8443');
    assert.equal(env.LOADLINE_NAMESPACE, 'loadline');
    assert.equal(env.CHROMIUM_PATH, '/opt/chrome');
    assert.equal(env.LOADLINE_DATA_DIR, undefined);
  });

  it('names each bad variable and why, all at once', () => {
    assert.deepEqual(
      issues(() =>
        parseEnv(CliEnv, {
          LOADLINE_API: 'not a url',
          REDIS_URL: 'http://127.0.0.1:6379',
          LOADLINE_SHADOW_SECRET: 'short',
        }),
      ),
      [
        'LOADLINE_API: expected an http:// or https:// URL like http://127.0.0.1:7700, got "not a url"',
        'LOADLINE_SHADOW_SECRET: use at least 16 characters of secret',
        'REDIS_URL: expected a redis:// or rediss:// URL like redis://127.0.0.1:6379, got "http://127.0.0.1:6379"',
      ],
    );
  });

  it('says when a port is not a number or out of range', () => {
    assert.deepEqual(
      issues(() => parseEnv(ControlEnv, { LOADLINE_API: 'http://127.0.0.1:77x0' })),
      [
        'LOADLINE_API: port "77x0" is not a number (expected an http:// or https:// URL like http://127.0.0.1:7700)',
      ],
    );
    assert.deepEqual(
      issues(() => parseEnv(AgentEnv, { REDIS_URL: 'redis://h:99999' })),
      ['REDIS_URL: port 99999 is out of range (0–65535)'],
    );
  });

  it('never prints a password', () => {
    const [problem] = issues(() =>
      parseEnv(DemoMallEnv, { DATABASE_URL: 'mysql://app:hunter2@db/x' }),
    );
    assert.equal(
      problem,
      'DATABASE_URL: expected a postgres:// or postgresql:// URL like postgres://user@host:5432/db, got "mysql://app:***@db/x"',
    );
  });

  it('one message line for a CLI: every problem, joined', () => {
    const error = new EnvError([
      { variable: 'A', message: 'bad' },
      { variable: 'B', message: 'worse' },
    ]);
    assert.equal(error.message, 'A: bad; B: worse');
  });
});

describe('envPicker', () => {
  it('hands out the named variables, failing only on a bad one of those', () => {
    const pick = envPicker(CliEnv, { DATABASE_URL: 'mysql://x/y', LOADLINE_NAMESPACE: 'n1' });
    assert.deepEqual(pick('LOADLINE_API', 'LOADLINE_NAMESPACE'), {
      LOADLINE_API: 'http://127.0.0.1:7700',
      LOADLINE_NAMESPACE: 'n1',
    });
    assert.deepEqual(
      issues(() => pick('DATABASE_URL', 'LOADLINE_API')).map((i) => i.split(':')[0]),
      ['DATABASE_URL'],
    );
    assert.throws(() => pick(), EnvError);
  });
});

describe('LOADLINE_RESULTS_BACKLOG', () => {
  it('is a whole number under the stream cap', () => {
    assert.equal(
      parseEnv(ControlEnv, { LOADLINE_RESULTS_BACKLOG: '500' }).LOADLINE_RESULTS_BACKLOG,
      '500',
    );
    assert.deepEqual(
      issues(() => parseEnv(ControlEnv, { LOADLINE_RESULTS_BACKLOG: '1e6' })),
      ['LOADLINE_RESULTS_BACKLOG: expected a whole number of results'],
    );
    assert.match(
      issues(() => parseEnv(ControlEnv, { LOADLINE_RESULTS_BACKLOG: '190000' }))[0] ?? '',
      /10 to 150000/,
    );
  });
});

describe('LOADLINE_SATURATION', () => {
  it('reads the parts it names, in any order', () => {
    assert.deepEqual(saturationSetting('late=1%,loop=50ms,for=5s'), {
      lateShare: 0.01,
      eventLoopDelayP99Ms: 50,
      forS: 5,
    });
    assert.deepEqual(saturationSetting(' for=10s , late=0.5% '), { forS: 10, lateShare: 0.005 });
    assert.deepEqual(saturationSetting(undefined), {});
  });

  it('refuses a bad part, naming the variable and the part', () => {
    assert.deepEqual(
      issues(() => parseEnv(ControlEnv, { LOADLINE_SATURATION: 'late=1%,loop=50' })),
      [
        'LOADLINE_SATURATION: "loop=50" is not late=N%, loop=Nms or for=Ns (e.g. late=1%,loop=50ms,for=5s)',
      ],
    );
    assert.match(String(saturationSetting('late=150%')), /over 100 %/);
    assert.match(String(saturationSetting('for=0s')), /1 to 3600 s/);
    assert.match(String(saturationSetting('loop=0ms')), /above 0 ms/);
  });
});

describe('LOADLINE_CONTROL_GRACE', () => {
  it('is a duration up to 10 minutes, 30 s by default', () => {
    assert.equal(parseEnv(ControlEnv, {}).LOADLINE_CONTROL_GRACE, '30s');
    assert.equal(controlGraceMs('30s'), 30_000);
    assert.equal(controlGraceMs('90'), 90_000);
    assert.equal(controlGraceMs('500ms'), 500);
    assert.equal(controlGraceMs('2m'), 120_000);
    assert.equal(controlGraceMs('0'), 0);
    assert.deepEqual(
      issues(() => parseEnv(ControlEnv, { LOADLINE_CONTROL_GRACE: 'soon' })),
      ['LOADLINE_CONTROL_GRACE: expected a duration such as 30s, 500ms or 2m'],
    );
    assert.match(
      issues(() => parseEnv(ControlEnv, { LOADLINE_CONTROL_GRACE: '11m' }))[0] ?? '',
      /at most 10m/,
    );
  });
});

describe('Redis through Sentinels or a Cluster', () => {
  it('reads Sentinels, their master and password, for control and agents alike', () => {
    for (const schema of [ControlEnv, AgentEnv]) {
      const env = parseEnv(schema, {
        REDIS_URL: 'rediss://control:pw@ignored:6379/0',
        REDIS_SENTINELS: '10.0.0.1:26379, sentinel-2.internal:26379,[fd00::3]:26380',
        REDIS_SENTINEL_PASSWORD: 'sentinel-password-16+',
      });
      assert.deepEqual(redisTopology(env), {
        kind: 'sentinel',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: 'sentinel-2.internal', port: 26379 },
          { host: 'fd00::3', port: 26380 },
        ],
        master: 'loadline',
        sentinelPassword: 'sentinel-password-16+',
      });
    }
  });

  it('refuses a short Sentinel password (its holder may reconfigure the Sentinels)', () => {
    assert.match(
      issues(() => parseEnv(ControlEnv, { REDIS_SENTINEL_PASSWORD: 'CHANGE_ME' }))[0] ?? '',
      /REDIS_SENTINEL_PASSWORD: at least 16 characters/,
    );
  });

  it('reads Cluster nodes; neither set is one server', () => {
    const env = parseEnv(ControlEnv, {
      REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1:6379',
      LOADLINE_RESULT_STREAMS: '8',
    });
    assert.deepEqual(redisTopology(env), {
      kind: 'cluster',
      nodes: [
        { host: 'redis-0', port: 6379 },
        { host: 'redis-1', port: 6379 },
      ],
    });
    assert.equal(env.LOADLINE_RESULT_STREAMS, '8');
    assert.equal(redisTopology(parseEnv(ControlEnv, {})), undefined);
  });

  it('names the variable of a bad node, master name, stream or thread count', () => {
    assert.deepEqual(
      issues(() =>
        parseEnv(ControlEnv, {
          REDIS_SENTINELS: '10.0.0.1',
          REDIS_CLUSTER_NODES: 'redis-0:70000',
          REDIS_SENTINEL_MASTER: 'my master',
          LOADLINE_RESULT_STREAMS: '0',
          LOADLINE_INGEST_THREADS: '2.5',
        }),
      ),
      [
        'REDIS_SENTINELS: "10.0.0.1" is not host:port (a Sentinel, e.g. 10.0.0.5:26379)',
        'REDIS_SENTINEL_MASTER: expected a Sentinel master name (letters, digits, . _ -)',
        'REDIS_CLUSTER_NODES: "redis-0:70000" is not host:port (a Redis Cluster node, e.g. 10.0.0.5:26379)',
        'LOADLINE_RESULT_STREAMS: expected a whole number of streams, 1 to 64',
        'LOADLINE_INGEST_THREADS: expected a whole number of threads, 0 to 32',
      ],
    );
  });

  it('refuses Sentinels and a Cluster at once, naming REDIS_CLUSTER_NODES', () => {
    const env = parseEnv(AgentEnv, {
      REDIS_SENTINELS: '10.0.0.1:26379',
      REDIS_CLUSTER_NODES: 'redis-0:6379',
    });
    assert.deepEqual(
      issues(() => redisTopology(env)),
      [
        'REDIS_CLUSTER_NODES: set REDIS_CLUSTER_NODES or REDIS_SENTINELS, not both (a Cluster does its own failover)',
      ],
    );
  });
});
