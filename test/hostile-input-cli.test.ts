// `loadline` on files written to hurt it: each is refused quickly with exit 2 and one line
// naming the file or flag and why, never a stack trace (exit 4).
import assert from 'node:assert/strict';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'loadline-hostile-'));
const HEAD = 'name: hostile\ntarget: http://127.0.0.1:1\n';
/** Nothing listens there: a command that reached control would fail differently. */
const API = 'http://127.0.0.1:9';

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Exit 2, and stderr one `loadline:` line (no stack trace) matching `pattern`. */
function refusedWith(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
  assert.match(result.stderr, pattern);
}

describe('loadline on hostile input', () => {
  it('validate refuses 20,000 unknown keys in about a second, listing 100', async () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `key${i}: ${i}\n`).join('');
    const path = file('keys.yaml', `${HEAD}${keys}`);
    const started = Date.now();
    const result = await cli(['validate', path]);
    const ms = Date.now() - started;
    assert.equal(result.code, 2);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 102, 'the first 100, the rest counted, the total');
    assert.match(lines[100] ?? '', /keys\.yaml:101:1 …and 19,902 more problems$/);
    assert.equal(lines[101], `${path}: 20002 problem(s)`);
    // Node's start and the CLI's modules take ~0.5 s of it; parsing took 25 s before.
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  it('validate refuses a YAML alias bomb: exit 2 at the alias, not a stack trace', async () => {
    const levels = ['a0: &a0 "lol lol lol lol lol lol lol lol lol"'];
    for (let i = 1; i < 12; i++) {
      levels.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    }
    const path = file('laughs.yaml', `${HEAD}${levels.join('\n')}\n`);
    const result = await cli(['validate', path]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /laughs\.yaml:\d+:\d+ a\d+\[\d+\]: aliases expand the document beyond 4 MB; refused as an alias bomb\n/,
    );
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
    const json = JSON.parse((await cli(['validate', path, '--json'])).stdout);
    assert.equal(json.valid, false);
    assert.equal(json.problems, 1);
  });

  it('validate, run and schedule add refuse a scenario file over 2 MB before reading it', async () => {
    const path = join(dir, 'huge.yaml');
    writeFileSync(path, '');
    truncateSync(path, 20 * 1024 * 1024); // sparse: its size is what is checked
    const limit = new RegExp(
      `^loadline: ${path.replace(/[.]/g, '\\.')} is 20 MB; the limit is 2 MB\\n$`,
    );
    refusedWith(await cli(['validate', path]), limit);
    refusedWith(await cli(['run', path, '--api', API]), limit);
    refusedWith(await cli(['run', path, '--local']), limit);
    refusedWith(await cli(['schedule', 'add', path, '--cron', '0 2 * * *', '--api', API]), limit);
  });

  it('every --out into a missing directory is exit 2 naming the path, before any work', async () => {
    const missing = join(dir, 'no', 'such', 'dir');
    const log = file(
      'one.log',
      '10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"\n',
    );
    const cases: string[][] = [
      ['report', 'run_1', '--out', join(missing, 'r.json'), '--api', API],
      ['import', log, '--out', join(missing, 'c.jsonl')],
      ['capacity', 'fit', '--from', join(dir, 'm.json'), '--out', join(missing, 'model.json')],
      [
        'capacity',
        'plan',
        '--model',
        join(dir, 'm.json'),
        '--forecast',
        join(dir, 'f.yaml'),
        '--out',
        join(missing, 'plan.md'),
      ],
    ];
    for (const args of cases) {
      const out = args[args.indexOf('--out') + 1] as string;
      refusedWith(
        await cli(args),
        new RegExp(
          `^loadline: --out: cannot write ${out.replace(/[.]/g, '\\.')}: there is no directory ${missing}\\n$`,
        ),
      );
    }
  });

  it('import refuses a HAR too big to read whole, and a capture too big to store, with a hint', async () => {
    const har = join(dir, 'huge.har');
    writeFileSync(har, '');
    truncateSync(har, 300 * 1024 * 1024);
    refusedWith(
      await cli(['import', har, '--out', join(dir, 'c.json')]),
      /huge\.har is 300 MB, over the 256 MB limit for a HAR, one JSON document read whole: export fewer pages/,
    );
    const log = join(dir, 'huge.log');
    writeFileSync(log, '');
    truncateSync(log, 300 * 1024 * 1024);
    refusedWith(
      await cli(['import', log, '--api', API, '--name', 'big']),
      /huge\.log is 300 MB, over the 256 MB limit of a capture stored in control .*import it with --out FILE/,
    );
  });
});
