// `loadline verify RUN`: after a shadow run, re-check that nothing of it reached
// production. Two sources of evidence: the leaks services' shadow SDKs reported to control
// for the run (each one a refused write), and the production stores themselves, searched
// for data only shadow traffic carries — IDs in the shadow ranges its feeders and replay
// remaps use, the run id, the shadow tag in queued jobs. See STORES_HELP for the file.
// pg, ioredis and yaml load when a check runs: main.ts imports this module for its help.
import type { Leak, Run } from '@loadline/api/http';
import type { RawEnv } from '@loadline/config';
import type { Redis } from 'ioredis';
import { type ApiEnv, ApiProblem, ControlClient, controlApi } from '../control-client.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { readText } from '../read-text.js';
import { parseStores, type StoresFile } from './verify-stores.js';

export { STORES_HELP } from './verify-stores.js';

export interface Check {
  store: string;
  kind: 'control' | 'postgres' | 'redis' | 'queue';
  target: string;
  /** rows / keys / jobs examined (leak records for control) */
  examined: number;
  /** how many of them are shadow data in production */
  found: number;
  detail: string[];
}

export interface VerifyResult {
  runId: string;
  status: string;
  abortReason: string | null;
  clean: boolean;
  checks: Check[];
}

export interface VerifyOptions {
  stores?: string;
  api?: string;
  json?: boolean;
}

type Ranges = StoresFile['shadowIds'];

function inRange(value: unknown, range: [number, number] | undefined): boolean {
  if (range === undefined || value === null || value === undefined) return false;
  const text = String(value);
  if (!/^-?\d+$/.test(text)) return false;
  const n = Number(text);
  return n >= range[0] && n <= range[1];
}

const quote = (ident: string) =>
  ident
    .split('.')
    .map((p) => `"${p}"`)
    .join('.');

async function checkPostgres(
  store: StoresFile['postgres'][number],
  ranges: Ranges,
  runId: string,
): Promise<Check[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: store.url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new UsageError(
      '--stores',
      `postgres ${store.name}: cannot connect (${(error as Error).message})`,
    );
  }
  try {
    const checks: Check[] = [];
    for (const [table, spec] of Object.entries(store.tables)) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      const why: string[] = [];
      for (const [column, name] of Object.entries(spec.shadowIds)) {
        const [min, max] = ranges[name] as [number, number];
        params.push(min, max);
        const c = `${quote(column)}::text`;
        conditions.push(
          `(case when ${c} ~ '^-?[0-9]+$' then ${c}::numeric end) between $${params.length - 1} and $${params.length}`,
        );
        why.push(`${column} in ${name} [${min}, ${max}]`);
      }
      for (const column of spec.runId) {
        params.push(`%${runId}%`);
        conditions.push(`${quote(column)}::text like $${params.length}`);
        why.push(`${column} contains the run id`);
      }
      const where = conditions.length > 0 ? conditions.join(' or ') : 'false';
      const target = `table ${table}`;
      try {
        const { rows } = await client.query<{ examined: string; found: string }>(
          `select count(*) as examined, count(*) filter (where ${where}) as found from ${quote(table)}`,
          params,
        );
        const found = Number(rows[0]?.found ?? 0);
        checks.push({
          store: store.name,
          kind: 'postgres',
          target,
          examined: Number(rows[0]?.examined ?? 0),
          found,
          detail: found > 0 ? [`${found} row(s) with ${why.join(' or ')}`] : [],
        });
      } catch (error) {
        if ((error as { code?: string }).code !== '42P01') throw error;
        checks.push({
          store: store.name,
          kind: 'postgres',
          target,
          examined: 0,
          found: 0,
          detail: ['absent'],
        });
      }
    }
    return checks;
  } finally {
    await client.end().catch(() => {});
  }
}

async function scanKeys(redis: Redis, match: string, each: (key: string) => Promise<void>) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) await each(key);
  } while (cursor !== '0');
}

/** Field values of a hash, or of a JSON object stored as a string. */
async function fieldsOf(redis: Redis, key: string): Promise<Record<string, unknown>> {
  const type = await redis.type(key);
  if (type === 'hash') return redis.hgetall(key);
  if (type !== 'string') return {};
  try {
    const value = JSON.parse((await redis.get(key)) ?? 'null') as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function checkRedisKeys(
  redis: Redis,
  store: string,
  spec: StoresFile['redis'][number]['keys'][number],
  ranges: Ranges,
): Promise<Check> {
  const check: Check = {
    store,
    kind: 'redis',
    target: `keys ${spec.match}`,
    examined: 0,
    found: 0,
    detail: [],
  };
  const idPattern = spec.id === undefined ? undefined : new RegExp(spec.id);
  const fields = Object.entries(spec.fields);
  await scanKeys(redis, spec.match, async (key) => {
    if (key.startsWith('shadow:')) return;
    check.examined++;
    let hit = inRange(idPattern?.exec(key)?.[1], spec.range ? ranges[spec.range] : undefined);
    if (!hit && fields.length > 0) {
      const values = await fieldsOf(redis, key);
      hit = fields.some(([field, name]) => inRange(values[field], ranges[name]));
    }
    if (hit) {
      check.found++;
      if (check.detail.length < 5) check.detail.push(`shadow data at ${key}`);
    }
  });
  return check;
}

async function checkQueue(
  redis: Redis,
  store: string,
  spec: StoresFile['redis'][number]['queues'][number],
  ranges: Ranges,
  runId: string,
): Promise<Check> {
  const base = `${spec.prefix}:${spec.name}:`;
  const check: Check = {
    store,
    kind: 'queue',
    target: `queue ${spec.prefix}:${spec.name}`,
    examined: 0,
    found: 0,
    detail: [],
  };
  await scanKeys(redis, `${base}*`, async (key) => {
    // Job hashes are <prefix>:<queue>:<id>; the queue's own structures have known suffixes.
    if ((await redis.type(key)) !== 'hash') return;
    const data = await redis.hget(key, 'data');
    if (data === null) return;
    check.examined++;
    let job: Record<string, unknown> = {};
    try {
      job = JSON.parse(data) as Record<string, unknown>;
    } catch {}
    const hit =
      data.includes('__loadlineShadow') ||
      data.includes(runId) ||
      Object.entries(spec.fields).some(([field, name]) => inRange(job[field], ranges[name]));
    if (hit) {
      check.found++;
      if (check.detail.length < 5) check.detail.push(`shadow job ${key.slice(base.length)}`);
    }
  });
  return check;
}

async function checkRedis(
  store: StoresFile['redis'][number],
  ranges: Ranges,
  runId: string,
): Promise<Check[]> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(store.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 5000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new UsageError(
      '--stores',
      `redis ${store.name}: cannot connect (${(error as Error).message})`,
    );
  }
  try {
    const checks: Check[] = [];
    for (const spec of store.keys)
      checks.push(await checkRedisKeys(redis, store.name, spec, ranges));
    for (const spec of store.queues)
      checks.push(await checkQueue(redis, store.name, spec, ranges, runId));
    return checks;
  } finally {
    redis.disconnect();
  }
}

/** Control's record of the run and the leaks services reported for it. */
async function checkControl(client: ControlClient, runId: string) {
  const params = { id: runId };
  let run: Run;
  let leaks: Leak[];
  try {
    run = await client.call(controlApi.getRun, { params });
    leaks = (await client.call(controlApi.runLeaks, { params })).leaks;
  } catch (error) {
    if (error instanceof ApiProblem)
      throw new UsageError(undefined, `run ${runId}: ${error.message}`);
    throw error;
  }
  const check: Check = {
    store: 'control',
    kind: 'control',
    target: 'leak reports',
    examined: leaks.length,
    found: leaks.length,
    detail: leaks.map((l) => `${l.at} ${l.kind} ${l.target} from ${l.service}: ${l.detail}`),
  };
  return { run, check };
}

export async function verifyRun(
  runId: string,
  stores: StoresFile | undefined,
  client: ControlClient,
): Promise<VerifyResult> {
  const { run, check } = await checkControl(client, runId);
  const checks = [check];
  for (const store of stores?.postgres ?? [])
    checks.push(...(await checkPostgres(store, stores?.shadowIds ?? {}, run.id)));
  for (const store of stores?.redis ?? [])
    checks.push(...(await checkRedis(store, stores?.shadowIds ?? {}, run.id)));
  return {
    runId: run.id,
    status: run.status,
    abortReason: run.abortReason ?? null,
    clean: checks.every((c) => c.found === 0),
    checks,
  };
}

/** The human report: one line per check, details indented, the verdict last. */
export function formatVerify(result: VerifyResult, storesGiven: boolean): string {
  const lines = [
    `run ${result.runId}: ${result.status}${result.abortReason ? ` (${result.abortReason})` : ''}`,
  ];
  for (const c of result.checks) {
    const what =
      c.kind === 'control'
        ? 'leak report(s)'
        : c.kind === 'postgres'
          ? 'row(s)'
          : c.kind === 'queue'
            ? 'job(s)'
            : 'key(s)';
    const verdict =
      c.found > 0 ? `LEAK  ${c.found} of ${c.examined} ${what}` : `clean (${c.examined} ${what})`;
    lines.push(`  ${`${c.kind} ${c.store}`.padEnd(22)} ${c.target.padEnd(32)} ${verdict}`);
    for (const d of c.detail) lines.push(`      ${d}`);
  }
  if (!storesGiven) lines.push('  (no --stores: only control’s leak records were checked)');
  const found = result.checks.filter((c) => c.found > 0).length;
  lines.push(
    result.clean
      ? 'clean: no shadow data found in production'
      : `LEAKED: ${found} check(s) found shadow data in production`,
  );
  return `${lines.join('\n')}\n`;
}

/** `loadline verify RUN [--stores FILE] [--api URL] [--json]`: 0 clean, 1 leak, 2 bad input. */
export async function runVerify(
  runId: string,
  options: VerifyOptions,
  io: {
    stdout: NodeJS.WritableStream;
    env: ApiEnv;
    /** the whole environment, for `${VAR}` in the stores file */
    vars: RawEnv;
  },
): Promise<number> {
  let stores: StoresFile | undefined;
  if (options.stores !== undefined) {
    const text = await readText(options.stores, '--stores');
    stores = await parseStores(text, io.vars);
  }
  const client = ControlClient.for(options.api, io.env);
  const result = await verifyRun(runId, stores, client);
  io.stdout.write(
    options.json ? `${JSON.stringify(result)}\n` : formatVerify(result, stores !== undefined),
  );
  return result.clean ? ExitCode.passed : ExitCode.thresholdsFailed;
}
