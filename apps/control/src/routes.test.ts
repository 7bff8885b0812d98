import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controlApi, openApiDocument, type RouteContract } from '@loadline/api/http';
import type { RouterAccess } from './http.js';
import { buildRoutes, type RouteDeps } from './routes.js';

// Building the router touches none of its dependencies: handlers only use them when called.
const router = buildRoutes({} as RouteDeps, {} as RouterAccess);

test('every route served is in the contract, and every contract route is served', () => {
  const contracts = new Set<RouteContract>(Object.values(controlApi));
  const served = router.contracts;
  for (const route of served) {
    assert.ok(
      contracts.has(route),
      `${route.method} ${route.path} is served but not in controlApi`,
    );
  }
  const missing = [...contracts].filter((c) => !served.includes(c));
  assert.deepEqual(
    missing.map((c) => `${c.method} ${c.path}`),
    [],
    'routes in the contract that nothing serves',
  );
});

test('every route declares a permission; only health, the document and sign-in are public', () => {
  const open = Object.entries(controlApi)
    .filter(([, route]) => route.permission === 'public')
    .map(([name]) => name)
    .sort();
  assert.deepEqual(open, [
    'authProviders',
    'health',
    'oidcCallback',
    'oidcStart',
    'openApi',
    'signIn',
    'tokenSignIn',
  ]);
  // Every route that changes something is audited.
  for (const [name, route] of Object.entries(controlApi) as [string, RouteContract][]) {
    // A sign-on's callback is a GET (the provider redirects the browser) that starts a session.
    const writes =
      (route.method !== 'GET' || name === 'oidcCallback') &&
      !['checkRun', 'fitCapacity', 'planCapacity'].includes(name);
    assert.equal(Boolean(route.audit), writes, `${name}: audit ${route.audit ?? 'none'}`);
  }
});

test('the OpenAPI document describes every served route with its real response schema', () => {
  const document = openApiDocument() as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  for (const route of router.contracts) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const operation = document.paths[path]?.[route.method.toLowerCase()];
    assert.ok(operation, `${route.method} ${route.path} is not documented`);
    const response = operation.responses[route.success.status] as {
      content?: Record<string, { schema?: { type?: string; properties?: object } }>;
    };
    assert.ok(response, `${route.method} ${route.path}: no ${route.success.status} response`);
    const body = route.success.body;
    if (
      body === 'empty' ||
      (typeof body === 'object' && 'kind' in body && body.kind === 'redirect')
    )
      continue;
    const content = Object.values(response.content ?? {});
    assert.ok(content.length > 0, `${route.method} ${route.path}: no content`);
    const json = response.content?.['application/json'] ?? response.content?.['text/event-stream'];
    if (route.path === '/openapi.json') continue;
    assert.ok(
      json?.schema?.properties || json?.schema?.type === 'object',
      `${route.method} ${route.path}: its response schema has no properties`,
    );
  }
});
