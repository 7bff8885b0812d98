// The capacity routes on a real HTTP server, with the real shared Chromium: PDF exports
// beyond what the renderer takes at once are answered 503 with Retry-After, not queued
// without end or given browsers of their own.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { SAMPLE_FORECAST, samplePlan } from '@loadline/capacity/testing';
import {
  closeReportBrowsers,
  DEFAULT_CHROMIUM,
  MAX_CONCURRENT_RENDERS,
  MAX_WAITING_RENDERS,
} from '@loadline/report';
import type { RouteDeps } from './api/deps.js';
import { registerCapacityRoutes } from './capacity-routes.js';
import { Router } from './http.js';
import { viewerAccess } from './testing.js';

const skip = existsSync(DEFAULT_CHROMIUM) ? false : `no Chromium at ${DEFAULT_CHROMIUM}`;

after(() => closeReportBrowsers());

describe('POST /capacity/plan?format=pdf', { skip }, () => {
  it('renders as many as the renderer holds and answers the rest 503 with Retry-After', async () => {
    const router = new Router(viewerAccess());
    // Planning reads neither the metadata store, the result store nor the probes.
    registerCapacityRoutes(router, {} as Pick<RouteDeps, 'metadata' | 'store' | 'probes'>);
    const server = http.createServer(router.listener());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/capacity/plan?format=pdf`;
    const { model } = await samplePlan();
    const body = JSON.stringify({ model, forecast: SAMPLE_FORECAST });
    try {
      const held = MAX_CONCURRENT_RENDERS + MAX_WAITING_RENDERS;
      const answers = await Promise.all(
        Array.from({ length: held + 2 }, async () => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          const bytes = Buffer.from(await response.arrayBuffer());
          return { response, bytes };
        }),
      );
      const ok = answers.filter((a) => a.response.status === 200);
      const busy = answers.filter((a) => a.response.status === 503);
      assert.equal(ok.length, held, answers.map((a) => a.response.status).join(','));
      for (const a of ok) assert.equal(a.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
      assert.equal(busy.length, 2);
      for (const { response, bytes } of busy) {
        assert.equal(response.headers.get('retry-after'), '5');
        assert.equal(response.headers.get('content-type'), 'application/problem+json');
        const problem = JSON.parse(bytes.toString('utf8'));
        assert.equal(problem.status, 503);
        assert.equal(problem.instance, '/capacity/plan');
        assert.match(problem.detail, /busy/);
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
