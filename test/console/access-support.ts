// Helpers of the console's access test: another origin's page that tries to write through
// the signed-in user's session, a request with a Host of one's choosing, counting runs.
import http from 'node:http';
import type { Page } from 'playwright-core';
import { serveHttp } from '../support.js';

/**
 * A page on another origin (127.0.0.1, another port: the same *site* to SameSite cookies)
 * that tries, with the console user's cookie, what a forged request can: a form posted
 * into a frame (enctype text/plain smuggles JSON), a no-cors fetch, a fetch with a guessed
 * CSRF header (needs a preflight), and a read of the session's CSRF token.
 */
export function attackerPage(site: string): string {
  const runs = `${site}/api/control/runs`;
  const body = JSON.stringify({ scenario: 'access-e2e', overrides: {} });
  return `<!doctype html><html><body><h1>Win a prize</h1>
<iframe name="sink" id="sink"></iframe>
<form id="forged" method="POST" action="${runs}" enctype="text/plain" target="sink">
<input type="hidden" name='{"scenario":"access-e2e","overrides":{},"x":"' value='"}'>
</form>
<script>
const settle = (p) => p.then((r) => 'answered ' + r.status + ' ' + r.type, (e) => 'blocked: ' + e.message);
window.attempts = Promise.all([
  new Promise((resolve) => {
    document.getElementById('sink').addEventListener('load', () => resolve('form posted'), { once: true });
    document.getElementById('forged').submit();
  }),
  settle(fetch(${JSON.stringify(runs)}, { method: 'POST', mode: 'no-cors', credentials: 'include',
    headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(body)} })),
  settle(fetch(${JSON.stringify(runs)}, { method: 'POST', credentials: 'include',
    headers: { 'content-type': 'application/json', 'x-loadline-csrf': 'guessed' }, body: ${JSON.stringify(body)} })),
  settle(fetch(${JSON.stringify(`${site}/api/control/auth/session`)}, { credentials: 'include' })),
]);
</script></body></html>`;
}

/** Serves attackerPage(site) on 127.0.0.1, port 0. */
export function serveAttacker(site: string) {
  return serveHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(attackerPage(site));
  });
}

/** GET `url` with a Host header of our own (fetch would not send one): status and body. */
export function getWithHost(
  url: string,
  host: string,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { host } }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: String(response.headers['content-type'] ?? ''),
          body,
        }),
      );
    });
    request.on('error', reject);
  });
}

/** How many runs control holds (with the test's admin token). */
export async function runCount(api: string): Promise<number> {
  const page = (await (await fetch(`${api}/runs?limit=500`)).json()) as { runs: unknown[] };
  return page.runs.length;
}

/** From a page of the console, a fetch through its session: the status and problem or body. */
export function fetchFromPage(
  page: Page,
  path: string,
  init: { method?: string; body?: unknown; csrf?: boolean } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  return page.evaluate(
    async ({ path, init }) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (init.csrf) {
        const session = await (await fetch('/api/control/auth/session')).json();
        headers['x-loadline-csrf'] = session.csrfToken;
      }
      const response = await fetch(path, {
        method: init.method ?? 'GET',
        headers,
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      return { status: response.status, json: await response.json() };
    },
    { path, init },
  );
}
