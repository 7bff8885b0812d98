import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ApiProblem, ApiUnreachable, ContractViolation, ControlApiClient } from './client.js';
import { controlApi } from './contract.js';

// The typed client's failure paths against a real HTTP server: an answer that breaks its
// route's schema, a problem answer, and nobody listening.
let server: http.Server;
let base = '';

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, metadata: 'pglite', activeRuns: -1 }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end(
      JSON.stringify({ type: 'about:blank', title: 'not found', status: 404, detail: req.url }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('an answer its schema refuses is a ContractViolation naming the field', async () => {
  await assert.rejects(new ControlApiClient(base).call(controlApi.health), (error: unknown) => {
    assert.ok(error instanceof ContractViolation);
    assert.match(error.message, /activeRuns/);
    return true;
  });
});

test('a problem answer is an ApiProblem with its status and detail', async () => {
  const call = new ControlApiClient(base).call(controlApi.getRun, { params: { id: 'run a/b' } });
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof ApiProblem);
    assert.equal(error.status, 404);
    assert.equal(error.problem.detail, '/runs/run%20a%2Fb', 'path parameters are encoded');
    return true;
  });
});

test('nobody listening is ApiUnreachable', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(new ControlApiClient(url).call(controlApi.health), ApiUnreachable);
});
