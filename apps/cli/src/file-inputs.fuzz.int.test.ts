// Property-based hostility against every file the CLI reads: scenarios (validate, run
// --local), captures (import), USL CSVs, capacity models and forecasts, verify's stores
// file. Each command runs in this process on a real file; whatever the file holds, it
// answers with an exit code of 0, 1 or 2 (a UsageError is exit 2 with one line) — never an
// internal error (exit 4, a stack trace).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { runCapacityPlan, runCapacityUsl } from './commands/capacity.js';
import { runImport } from './commands/import.js';
import { runLocally } from './commands/run.js';
import { runValidate } from './commands/validate.js';
import { parseStores } from './commands/verify-stores.js';
import { UsageError } from './exit-codes.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-file-fuzz-'));
let count = 0;
after(() => {});

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  }) as unknown as NodeJS.WriteStream;

/** Runs a command on `text` written to a file; throws unless it ends as a CLI should. */
async function survives(
  extension: string,
  text: string | Buffer,
  command: (file: string) => Promise<number>,
): Promise<void> {
  const file = join(dir, `input-${count++}${extension}`);
  writeFileSync(file, text);
  try {
    const code = await command(file);
    assert.ok(
      [0, 1, 2].includes(code),
      `exit ${code} for ${JSON.stringify(String(text).slice(0, 200))}`,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      assert.ok(!error.message.includes('\n    at '), 'a usage error is one line, no stack');
      return;
    }
    throw new Error(
      `internal error (exit 4) for ${JSON.stringify(String(text).slice(0, 300))}: ${(error as Error)?.stack ?? error}`,
    );
  }
}

const VALID_SCENARIO = `name: fuzz
target: http://127.0.0.1:9
load: { rate: 1, duration: 1s }
feeders: { users: { file: users.csv } }
flows:
  - name: f
    steps:
      - name: s
        request: { path: "/x/\${users.id}", headers: { x-a: "\${uuid()}" } }
        check: { status: 200 }
thresholds: { "latency{step:s}": ["p(99)<300"] }
`;

/** Text near the valid form: a line dropped, duplicated, cut, or given hostile content. */
const nearby = (valid: string) =>
  fc.oneof(
    fc.string({ maxLength: 2000 }),
    fc.string({ unit: 'binary', maxLength: 500 }),
    fc.record({ at: fc.nat(), insert: fc.string({ maxLength: 200 }) }).map(({ at, insert }) => {
      const i = at % (valid.length + 1);
      return valid.slice(0, i) + insert + valid.slice(i);
    }),
    fc.nat().map((at) => valid.slice(0, at % (valid.length + 1))),
    fc.constantFrom(
      `a: &a [${'x,'.repeat(50)}x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`,
      `${'- '.repeat(2000)}x\n`,
      `${'{'.repeat(3000)}`,
      '\0\0\0',
      `name: x\n${Array.from({ length: 3000 }, (_, i) => `k${i}: 1`).join('\n')}\n`,
      valid.replace('/x/', '//evil.example/'),
      valid.replace('x-a', 'host'),
      valid.replace('users.csv', '../../../../etc/passwd'),
      valid.replace('1s', '99999999999999h'),
      valid.replace('rate: 1', 'rate: 1e308'),
    ),
  );

describe('the CLI on hostile files (in this process, real files)', { timeout: 300_000 }, () => {
  writeFileSync(join(dir, 'users.csv'), 'id\n1\n2\n');

  it('validate and run --local: a scenario', async () => {
    await fc.assert(
      fc.asyncProperty(nearby(VALID_SCENARIO), async (text) => {
        await survives('.yaml', text, (file) => runValidate(file, { json: true }, sink(), sink()));
        await survives('.yaml', text, (file) =>
          runLocally(file, { json: true, duration: '100ms' }, {
            stdout: sink(),
            stderr: sink(),
          } as never),
        );
      }),
      { numRuns: 150, seed: 7, includeErrorInReport: true },
    );
  });

  it('import: access logs, GoReplay and HAR captures', async () => {
    const log =
      '127.0.0.1 - - [06/Dec/2026:10:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 12 "-" "ua"\n';
    const har = JSON.stringify({
      log: {
        entries: [
          {
            startedDateTime: '2026-12-06T10:00:00Z',
            time: 1,
            request: { method: 'GET', url: 'http://h/a', headers: [] },
            response: { status: 200 },
          },
        ],
      },
    });
    const gor = '1 0 1765015200000000000 0\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n\n🐵🙈🙉\n';
    for (const [extension, valid] of [
      ['.log', log],
      ['.har', har],
      ['.gor', gor],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(nearby(valid), async (text) => {
          await survives(extension, text, (file) =>
            runImport(
              file,
              { json: true, out: join(dir, `corpus-${count}.jsonl`) },
              sink(),
              {} as never,
              sink(),
            ),
          );
        }),
        { numRuns: 80, seed: 11, includeErrorInReport: true },
      );
    }
  });

  it('capacity usl, capacity plan and verify: CSVs, models, forecasts and stores', async () => {
    await fc.assert(
      fc.asyncProperty(
        nearby('concurrency,throughput\n1,100\n2,190\n4,350\n8,600\n'),
        async (text) => {
          await survives('.csv', text, (file) =>
            runCapacityUsl({ csv: file, json: true }, { stdout: sink(), stderr: sink() }),
          );
        },
      ),
      { numRuns: 60, seed: 13, includeErrorInReport: true },
    );
    await fc.assert(
      fc.asyncProperty(
        nearby('{"version":1,"services":{}}'),
        nearby('entries: { list: 1000 }\nutilisation: 0.7\n'),
        async (model, forecast) => {
          const forecastFile = join(dir, `forecast-${count}.yaml`);
          writeFileSync(forecastFile, forecast);
          await survives('.json', model, (file) =>
            runCapacityPlan(
              { model: file, forecast: forecastFile, format: 'json' },
              { stdout: sink(), stderr: sink() },
            ),
          );
        },
      ),
      { numRuns: 60, seed: 17, includeErrorInReport: true },
    );
    await fc.assert(
      fc.asyncProperty(
        nearby(
          'stores:\n  - { name: orders, kind: postgres, url: postgres://x@127.0.0.1:1/db, tables: [orders] }\n',
        ),
        async (text) => {
          await survives('.yaml', text, async (file) => {
            const { readFileSync } = await import('node:fs');
            await parseStores(readFileSync(file, 'utf8'), {});
            return 0;
          });
        },
      ),
      { numRuns: 60, seed: 19, includeErrorInReport: true },
    );
  });
});
