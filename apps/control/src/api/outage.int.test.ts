import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { newSecret } from '@loadline/access';
import { MetadataStore } from '@loadline/metadata';
import { AccessGate } from '../access/gate.js';
import { buildRoutes, type RouteDeps } from '../routes.js';
import { problemOf } from './errors.js';

// A metadata database that went away (here a real PGlite, closed under the API) is a 503
// problem, never a 404 "no run", a 401 or a 500: not even the caller's token can be checked.
let server: http.Server;
let url = '';

before(async () => {
  const metadata = await MetadataStore.open();
  await metadata.migrate();
  await metadata.close();
  const gate = new AccessGate(metadata.access, {
    hostNames: [],
    trustedProxies: [],
    sessionIdleMs: 60_000,
    log: () => {},
  });
  server = http.createServer(buildRoutes({ metadata } as RouteDeps, gate).listener());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

for (const [method, path, body] of [
  ['POST', '/capacity/model', { runs: ['run_gone'] }],
  ['GET', '/runs/run_gone', undefined],
  ['GET', '/runs', undefined],
  ['GET', '/environments', undefined],
] as const) {
  test(`${method} ${path} answers 503 when the database is gone`, async () => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${newSecret('token')}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const problem = (await response.json()) as { title: string; detail: string };
    assert.equal(problem.title, 'storage unavailable');
    assert.ok(!problem.detail.includes('select'), 'no SQL in the answer');
  });
}

test('connection-class errors are outages; query errors are not', () => {
  const status = (error: unknown) => (problemOf(error) as { status?: number }).status;
  assert.equal(status(Object.assign(new Error('terminating'), { code: '57P01' })), 503);
  assert.equal(status(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), 503);
  assert.equal(
    status(new Error('x', { cause: Object.assign(new Error(), { code: '08006' }) })),
    503,
  );
  assert.equal(status(Object.assign(new Error('syntax'), { code: '42601' })), undefined);
});
