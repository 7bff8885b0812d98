// Leak reports against a real control stand-in on 127.0.0.1 that checks signatures the way
// control does (verifyLeakReport over the raw body and path): a report signed with the
// environment key is taken, one signed with another key is refused and counted as a
// failed report. Values from requests (a Redis key with CR/LF) reach neither a log line
// nor the report unescaped.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LEAK_SIGNATURE_HEADER, verifyLeakReport } from './leak-signature.js';
import { controlLeakReporter, type LeakReport } from './leaks.js';
import { createShadow } from './shadow.js';

const secret = 'leak-report-secret-0123';
const received: Array<{ path: string; leak: LeakReport }> = [];
let control: Server;
let controlUrl = '';

before(async () => {
  control = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const path = new URL(req.url ?? '/', 'http://control').pathname;
    const verdict = verifyLeakReport({
      secret,
      method: req.method ?? '',
      path,
      body: raw,
      header: req.headers[LEAK_SIGNATURE_HEADER],
    });
    if (!verdict.ok) {
      res.writeHead(401).end(verdict.reason);
      return;
    }
    received.push({ path, leak: JSON.parse(raw) as LeakReport });
    res.writeHead(202).end();
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => control.close(r));
});

/** Everything written to stderr while `fn` runs. */
async function stderrOf(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

const ctx = { runId: 'run_leak', tag: 'not-read-here' };
const forgedKey = 'cart:7\r\n{"level":"info","event":"shadow.all-clear"}\n';

describe('signed leak reports', () => {
  it('control takes a report signed with the environment key', async () => {
    const shadow = createShadow({
      secret,
      service: 'cart',
      leakReporter: controlLeakReporter({ controlUrl, secret }),
      log: () => {},
    });
    shadow.leak(ctx, 'postgres', 'orders', 'refused: INSERT on production table orders');
    await shadow.flush();
    assert.equal(shadow.counters.reportFailures, 0);
    assert.equal(received.at(-1)?.path, '/runs/run_leak/leaks');
    assert.equal(received.at(-1)?.leak.target, 'orders');
  });

  it('control refuses a report signed with another key: counted and logged as failed', async () => {
    const before = received.length;
    const shadow = createShadow({
      secret,
      leakReporter: controlLeakReporter({ controlUrl, secret: 'someone-elses-key-0123' }),
    });
    const logged = await stderrOf(async () => {
      shadow.leak(ctx, 'redis', 'cart:1', 'refused SET');
      await shadow.flush();
    });
    assert.equal(received.length, before);
    assert.equal(shadow.counters.reportFailures, 1);
    const events = logged
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event);
    assert.deepEqual(events, ['shadow.leak-refused', 'shadow.leak-report-failed']);
    assert.match(logged, /HTTP 401/);
  });

  it('a reporter without a key cannot be made', () => {
    assert.throws(() => controlLeakReporter({ controlUrl, secret: '' }), TypeError);
  });
});

describe('log lines cannot be forged', () => {
  it('escapes CR/LF from a key in the JSON log line, the error and the report', async () => {
    const shadow = createShadow({
      secret,
      service: 'cart\nfake',
      leakReporter: controlLeakReporter({ controlUrl, secret }),
    });
    let error: Error | undefined;
    const logged = await stderrOf(async () => {
      error = shadow.leak(ctx, 'redis', forgedKey, 'refused SET');
      await shadow.flush();
    });
    assert.equal(logged.split('\n').length, 2, 'one line and its newline');
    const line = JSON.parse(logged) as Record<string, unknown>;
    assert.equal(line.event, 'shadow.leak-refused');
    assert.equal(line.target, 'cart:7\\r\\n{"level":"info","event":"shadow.all-clear"}\\n');
    assert.equal(line.service, 'cart\\nfake');
    assert.doesNotMatch(error!.message, /[\r\n]/);
    const report = received.at(-1)!.leak;
    assert.doesNotMatch(`${report.target}${report.service}${report.detail}`, /[\r\n]/);
  });

  it('escapes them for a text log too, which only ever sees escaped fields', async () => {
    const lines: string[] = [];
    const shadow = createShadow({
      secret,
      log: (event, fields) => lines.push(`${event} target=${fields.target} runId=${fields.runId}`),
    });
    shadow.leak({ runId: 'run\r\nx', tag: '' }, 'queue', forgedKey, 'refused add(x\ny)');
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, /[\r\n\u2028\u2029]/);
    assert.match(lines[0]!, /runId=run\\r\\nx$/);
  });
});
