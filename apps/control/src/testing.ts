// Shared setup for control's integration tests: real Redis, a real HTTP target, control
// itself and two agents. Not exported from the package index.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentKey, hmac, hmacMatches } from '@loadline/access';
import { Agent } from '@loadline/agent';
import { type RunStatus, TERMINAL_STATUSES } from '@loadline/api';
import type { RedisTopology } from '@loadline/config';
import { saturationLimits } from '@loadline/engine';
import {
  type AgentSigner,
  type AgentVerifier,
  connectRedis,
  DEFAULT_REDIS_URL,
  redisAnswers,
} from '@loadline/queue';
import { Control, type ControlConfig, configFromEnv } from './control.js';
import type { RouterAccess } from './http.js';

/** The Redis a test suite uses, and a key namespace of its own in it. */
export interface TestRedis {
  url: string;
  namespace: string;
  /** reached through Sentinels or as a Cluster (a test's own redis-servers) */
  topology?: RedisTopology;
}

/** `url` is what the test file read from REDIS_URL (only entry points and tests read env). */
export const testRedis = (url = DEFAULT_REDIS_URL): TestRedis => ({
  url,
  namespace: `loadline-test-${randomUUID().slice(0, 8)}`,
});

/** `false` when Redis answers, otherwise the reason to skip a suite. */
export async function skipWithoutRedis({ url }: TestRedis): Promise<false | string> {
  return (await redisAnswers(url)) ? false : `no Redis answers at ${url} (set REDIS_URL)`;
}

/** A target on port 0 of 127.0.0.1; resolves to its server and base URL. */
export async function startTarget(
  handler: http.RequestListener,
): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Control's config for a test: port 0, a fresh data dir, short claim and start delays. */
export function testControlConfig(
  { url: redisUrl, namespace, topology }: TestRedis,
  dataDirPrefix: string,
  overrides: Partial<ControlConfig> = {},
): ControlConfig {
  return configFromEnv(
    {},
    {
      port: 0,
      dataDir: mkdtempSync(join(tmpdir(), dataDirPrefix)),
      redisUrl,
      ...(topology ? { redisTopology: topology } : {}),
      namespace,
      claimTimeoutMs: 3000,
      startDelayMs: 500,
      ...overrides,
    },
  );
}

/** `count` agents that enroll with `control` (an agent token, as `loadline up` gives its own). */
export async function startAgents(
  { url, namespace, topology }: TestRedis,
  control: Control,
  count = 2,
  firstNumber = 1,
  log?: (line: string) => void,
): Promise<Agent[]> {
  const token = await control.issueAgentToken('integration test agents');
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      Agent.start({
        redisUrl: url,
        ...(topology ? { redisTopology: topology } : {}),
        namespace,
        agentId: `agent-${i + firstNumber}`,
        enroll: { api: control.url, token },
        ...(log ? { log } : {}),
      }),
    ),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read the API's JSON as it comes
export type Json = any;

/** fetch as `token`'s bearer: what the CLI does with a stored API token. */
export function bearerFetch(token: string): typeof fetch {
  return (input, init) =>
    fetch(input, {
      ...init,
      headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` },
    });
}

/** fetch as the admin: a token control issues for the tests, as `loadline up` does for its CLI. */
export async function adminFetch(control: Control): Promise<typeof fetch> {
  return bearerFetch(await control.issueMachineToken('integration tests'));
}

/** Calls control's HTTP API at `base`: the status and the JSON reply, if any. */
export async function callApi(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  doFetch: typeof fetch = fetch,
): Promise<{ status: number; json: Json }> {
  const response = await doFetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json().catch(() => undefined) };
}

/** A run's status has reached the end of its life. */
export const ended = (status: string): boolean => TERMINAL_STATUSES.has(status as RunStatus);

/**
 * Reads GET /runs/ID (through `api`) until `wanted` holds for its status: the run's JSON,
 * or a failure naming the status it stayed in.
 */
export async function waitForRunStatus(
  api: (method: string, path: string) => Promise<{ json: Json }>,
  id: string,
  wanted: (status: string) => boolean,
  timeoutMs = 20_000,
): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api('GET', `/runs/${id}`);
    if (wanted(json.status)) return json;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${json.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * On a shared machine under load, an agent in the test's process (beside control and chdb)
 * can fall behind its schedule and the run end `invalid`: that judgement has tests of its
 * own. Tests of something else (Redis failing over, say) count only a generator far behind
 * as saturated.
 */
export const LENIENT_SATURATION = saturationLimits({ lateShare: 0.5, eventLoopDelayP99Ms: 1000 });

/**
 * An agent's signing as a test of the results stream needs it, without enrolling through
 * control: its signer, and a verifier that knows this agent only.
 */
export function testAgentSigning(agentId: string): {
  signer: AgentSigner;
  verifier: AgentVerifier;
} {
  const key = agentKey('loadline-test-master-secret', agentId, 'test-enrollment');
  return {
    signer: { agentId, sign: (text) => hmac(key, text) },
    verifier: {
      verify: async (id, text, signature) => id === agentId && hmacMatches(key, text, signature),
    },
  };
}

/** What a test's API calls go through: method, path, body → status and JSON. */
export type TestApi = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; json: Json }>;

/** A target, control over a test's Redis, enrolled agents: what a run through Redis needs. */
export interface TestStack {
  control: Control;
  /** control's API as the admin */
  api: TestApi;
  agents: Agent[];
  /** the target's URL: it answers "ok" to anything */
  target: string;
  /** when the target answered each request (epoch ms) */
  served: number[];
  /** agents, control and the target, in that order (the Redis is the test's to end) */
  stop(): Promise<void>;
}

export async function startStack(
  redis: TestRedis,
  dataDirPrefix: string,
  options: { agents?: number; control?: Partial<ControlConfig> } = {},
): Promise<TestStack> {
  const served: number[] = [];
  const { server, url: target } = await startTarget((_req, res) => {
    served.push(Date.now());
    res.end('ok');
  });
  const control = await Control.start(testControlConfig(redis, dataDirPrefix, options.control));
  const authed = await adminFetch(control);
  const agents = await startAgents(redis, control, options.agents ?? 1);
  return {
    control,
    api: (method, path, body) => callApi(control.url, method, path, body, authed),
    agents,
    target,
    served,
    async stop() {
      await Promise.all(agents.map((agent) => agent.stop()));
      await control.close();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Saves a scenario and launches it: the run's id. */
export async function launchScenario(api: TestApi, source: string): Promise<string> {
  const saved = await api('POST', '/scenarios', { source });
  if (saved.status !== 201)
    throw new Error(`scenario: ${saved.status} ${JSON.stringify(saved.json)}`);
  const name = /^name: (.+)$/m.exec(source)?.[1];
  const created = await api('POST', '/runs', { scenario: name });
  if (created.status !== 201)
    throw new Error(`run: ${created.status} ${JSON.stringify(created.json)}`);
  return created.json.id as string;
}

/** Stops agents, control and the target, then deletes the namespace's Redis keys. */
export async function stopAll(
  { url, namespace }: TestRedis,
  agents: Agent[],
  control: Control | undefined,
  server: http.Server,
): Promise<void> {
  await Promise.all(agents.map((a) => a.stop()));
  await control?.close();
  server.closeAllConnections();
  server.close();
  const redis = connectRedis(url);
  const keys = await redis.keys(`${namespace}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

/**
 * The router's access for a route test that is about something else (a renderer, say):
 * every caller is a `viewer`, nothing is audited. The access tests use the real gate.
 */
export function viewerAccess(): RouterAccess {
  return {
    authenticate: async () => ({
      kind: 'user',
      userId: 'usr_test',
      name: 'tester',
      grant: { role: 'viewer', environments: [] },
      via: 'token',
      tokenId: 'tok_test',
      expiresAt: null,
    }),
    sourceOf: () => '127.0.0.1',
    hostAllowed: () => true,
    audit: async () => {},
    log: () => {},
  };
}
