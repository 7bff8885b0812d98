// End to end with real processes: import captured traffic into control with
// `loadline import --api`, replay it at speed 2 on two agents with `loadline run --wait`.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, serveHttp, UpStack } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-replay-'));
const stack = new UpStack(join(dir, 'state'));

/**
 * An access log of the demo mall over 20 s: 8 shoppers (one IP each), each listing a page
 * and opening products about once a second. Returns the file and its request count.
 */
function accessLog(): { file: string; requests: number; details: number } {
  const lines: string[] = [];
  let details = 0;
  for (let second = 0; second <= 20; second++) {
    for (let shopper = 0; shopper < 8; shopper++) {
      if ((second + shopper) % 3 === 0 && second !== 20) continue;
      const time = `11/Nov/2026:00:00:${String(second).padStart(2, '0')} +0000`;
      const detail = (second + shopper) % 4 !== 1;
      const path = detail
        ? `/api/products/${1 + ((second * 8 + shopper) % 50)}`
        : `/api/products?page=${1 + (shopper % 3)}`;
      if (detail) details++;
      lines.push(
        `10.0.0.${shopper + 1} - - [${time}] "GET ${path} HTTP/1.1" 200 120 "-" "shopper/${shopper}"`,
      );
    }
  }
  const file = join(dir, 'mall-access.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, requests: lines.length, details };
}

describe('loadline import --api + replay on the fleet', { timeout: 120_000 }, () => {
  before(() => stack.start({ agents: 2 }));
  after(() => stack.stop());

  it('stores the corpus, replays every request at speed 2 in half the time', async () => {
    const log = accessLog();
    const imported = await cli(['import', log.file, '--api', stack.api, '--name', 'mall-traffic']);
    assert.equal(imported.code, 0, imported.stderr + imported.stdout);
    assert.match(imported.stdout, /stored mall-traffic@1\n/);

    const listed = (await (await fetch(`${stack.api}/corpora`)).json()) as {
      corpora: Array<{ name: string; latestVersion: number; requests: number; durationMs: number }>;
    };
    const corpus = listed.corpora.find((c) => c.name === 'mall-traffic');
    assert.equal(corpus?.requests, log.requests);
    // Log times are whole seconds; the importer spreads a second's requests across it.
    const durationMs = corpus?.durationMs ?? 0;
    assert.ok(durationMs >= 20_000 && durationMs < 21_000, `corpus spans ${durationMs} ms`);

    const scenario = join(dir, 'replay.yaml');
    writeFileSync(
      scenario,
      `name: mall-replay
target: ${stack.demo}
agents: 2
replay: { corpus: mall-traffic, speed: 2 }
thresholds:
  "errors": ["rate<0.01"]
  "latency{step:GET /api/products/{id}}": ["p(99)<1000"]
`,
    );
    const run = await cli(['run', scenario, '--api', stack.api, '--wait', '--json']);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.status, 'passed');
    assert.equal(summary.agents, 2);
    assert.equal(summary.total.requests, log.requests, 'every captured request was sent');
    assert.equal(summary.total.errors, 0);
    assert.equal(summary.dropped, 0);
    assert.equal(summary.durationS, Math.round(durationMs / 2) / 1000, 'the corpus at speed 2');
    assert.equal(summary.steps['GET /api/products/{id}'].requests, log.details);
    assert.equal(summary.steps['GET /api/products'].requests, log.requests - log.details);

    // What the agents measured: requests landed in the seconds of a 10 s replay.
    const series = (await (
      await fetch(`${stack.api}/runs/${summary.runId}/series?by=total`)
    ).json()) as { series: { total: Array<{ second: number; requests: number }> } };
    const seconds = series.series.total.filter((p) => p.requests > 0).map((p) => p.second);
    const span = Math.max(...seconds) - Math.min(...seconds);
    const expected = durationMs / 2000;
    console.log(
      `replay e2e: ${summary.total.requests}/${log.requests} sent, dropped ${summary.dropped}, late ${summary.late}, planned ${summary.durationS} s, measured over ${span} s (per-second buckets)`,
    );
    assert.ok(
      Math.abs(span - expected) <= 1,
      `requests spread over ${span} s, expected ${expected}`,
    );
  });

  it('refuses a bad corpus with paths (422, nothing stored) and a bad name (exit 2)', async () => {
    const response = await fetch(`${stack.api}/corpora`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'broken',
        corpus: { meta: {}, mix: {}, requests: [{ path: 'no-slash' }] },
      }),
    });
    assert.equal(response.status, 422);
    assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
    const problem = (await response.json()) as { errors: Array<{ path: string }> };
    assert.ok(problem.errors.some((e) => e.path === 'corpus.requests[0].path'));
    assert.equal((await fetch(`${stack.api}/corpora/broken`)).status, 404);

    const log = accessLog();
    const bad = await cli(['import', log.file, '--api', stack.api, '--name', 'has space']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--name/);
  });

  it('replays a corpus file in-process with run --local', async () => {
    const log = accessLog();
    const corpusFile = join(dir, 'mall.json');
    const imported = await cli(['import', log.file, '--out', corpusFile]);
    assert.equal(imported.code, 0, imported.stderr);
    let received = 0;
    const { server, base } = await serveHttp((_req, res) => {
      received++;
      res.end('{}');
    });
    try {
      const scenario = join(dir, 'local-replay.yaml');
      writeFileSync(
        scenario,
        `name: local-replay\ntarget: ${base}\nreplay: { file: mall.json, speed: 10 }\n`,
      );
      const run = await cli(['run', scenario, '--local', '--json']);
      assert.equal(run.code, 0, run.stderr + run.stdout);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.total.requests, log.requests);
      assert.equal(received, log.requests);
      assert.equal(summary.steps['GET /api/products/{id}'].requests, log.details);
    } finally {
      server.close();
    }
  });
});
