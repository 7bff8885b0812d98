// End to end: `loadline validate` on real files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const loadline = join(root, 'node_modules', '.bin', 'loadline');

function validate(...args: string[]) {
  return spawnSync(loadline, ['validate', ...args], { encoding: 'utf8' });
}

describe('loadline validate', () => {
  it('accepts the shipped example scenario (exit 0)', () => {
    const result = validate(join(root, 'scenarios', 'demo-browse-buy.yaml'));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /valid — "demo-browse-buy", 2 flow\(s\), 6 step\(s\)/);
  });

  it('lists every problem with file:line:column and exits 2', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'loadline-validate-')), 'typo.yaml');
    writeFileSync(
      file,
      [
        'name: typo',
        'target: http://127.0.0.1:8080',
        'load: { rate: 10, duraton: 5s }',
        'flows:',
        '  - name: browse',
        '    steps:',
        '      - { name: list, request: { path: api/products } }',
        '',
      ].join('\n'),
    );
    const result = validate(file);
    assert.equal(result.status, 2);
    const lines = result.stderr.trim().split('\n');
    assert.match(lines[0] as string, /typo\.yaml:3:7 load\.duration: rate needs a duration/);
    assert.ok(
      lines.some((l) => /typo\.yaml:3:19 load\.duraton: unknown key "duraton"/.test(l)),
      result.stderr,
    );
    assert.ok(
      lines.some((l) =>
        /typo\.yaml:7:40 flows\[0\]\.steps\[0\]\.request\.path: a path starts with "\/"/.test(l),
      ),
      result.stderr,
    );
    assert.match(lines.at(-1) as string, /3 problem\(s\)/);

    const json = JSON.parse(validate(file, '--json').stdout);
    assert.equal(json.valid, false);
    assert.deepEqual(
      json.errors.map((e: { line: number; column: number }) => [e.line, e.column]),
      [
        [3, 7],
        [3, 19],
        [7, 40],
      ],
    );
  });

  it('says when the file cannot be read (exit 2)', () => {
    const result = validate('/nonexistent/scenario.yaml');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /cannot read \/nonexistent\/scenario\.yaml \(ENOENT\)/);
  });
});
