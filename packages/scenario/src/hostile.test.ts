// Scenario text written to hurt: parsing and validation stay linear, aliases cannot expand
// a small document into a huge one, and each refusal says where and why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_ALIASES, MAX_NESTING, MAX_REPORTED_PROBLEMS, MAX_SCENARIO_BYTES } from './limits.js';
import { parseScenario, type ScenarioError } from './parse.js';

const HEAD = 'name: hostile\ntarget: http://127.0.0.1:1\n';
const FLOWS =
  'load: { rate: 1, duration: 1s }\nflows: [{ name: f, steps: [{ name: s, request: { path: / } }] }]\n';

function refused(text: string): { errors: ScenarioError[]; problems: number } {
  const result = parseScenario(text);
  assert.equal(result.ok, false, 'expected the scenario to be refused');
  return result.ok ? { errors: [], problems: 0 } : result;
}

const unknownKeys = (n: number) => {
  const lines = [HEAD];
  for (let i = 0; i < n; i++) lines.push(`key${i}: ${i}\n`);
  return lines.join('');
};

/** The fastest of `runs` parses, in ms: the least disturbed by other work on the machine. */
function fastest(text: string, runs = 5): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    parseScenario(text);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

describe('hostile scenarios', () => {
  it('refuses 20,000 unknown keys in well under a second, listing the first 100', () => {
    fastest(unknownKeys(2000), 2);
    const text = unknownKeys(20_000);
    const ms = fastest(text, 3);
    assert.ok(ms < 1000, `took ${Math.round(ms)} ms`);
    const { errors, problems } = refused(text);
    // 20,000 keys, and neither load nor flows.
    assert.equal(problems, 20_002);
    assert.equal(errors.length, MAX_REPORTED_PROBLEMS + 1);
    // Document order: load and flows (missing, on the whole document) first.
    assert.deepEqual(
      errors.slice(0, 3).map((e) => `${e.line}:${e.column} ${e.path}`),
      ['1:1 load', '1:1 flows', '3:1 key0'],
    );
    assert.deepEqual(errors.at(-1), {
      path: '',
      message: '…and 19,902 more problems',
      line: 101,
      column: 1,
    });
  });

  it('takes twice as long for twice the keys, not four times', () => {
    fastest(unknownKeys(2000), 2);
    const single = fastest(unknownKeys(20_000));
    const double = fastest(unknownKeys(40_000));
    assert.ok(
      double / single < 3.2,
      `20,000 keys ${Math.round(single)} ms, 40,000 keys ${Math.round(double)} ms`,
    );
  });

  it('refuses a billion laughs where the expansion crosses the limit, quickly', () => {
    const levels = ['a0: &a0 "lol lol lol lol lol lol lol lol lol"'];
    for (let i = 1; i < 12; i++)
      levels.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const started = performance.now();
    const { errors } = refused(`${HEAD}${levels.join('\n')}\n`);
    assert.ok(performance.now() - started < 500);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0]?.message ?? '', /aliases expand the document beyond 4 MB/);
    assert.match(errors[0]?.path ?? '', /^a\d+\[\d+\]$/);
    assert.ok((errors[0]?.line ?? 0) > 3, 'at the alias that crosses the limit');
  });

  it('refuses a wide alias bomb: many anchors, each used no more than yaml allows', () => {
    const lines = [HEAD];
    for (let i = 0; i < 200; i++) {
      lines.push(
        `s${i}: &s${i} "${'x'.repeat(900)}"\nu${i}: [${Array(100).fill(`*s${i}`).join(',')}]\n`,
      );
    }
    const { errors } = refused(lines.join(''));
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]?.message ?? '',
      new RegExp(`more than ${MAX_ALIASES} aliases|beyond 4 MB`),
    );
  });

  it("refuses an alias to its own ancestor, and an anchor used past yaml's count", () => {
    const [cycle] = refused(`${HEAD}a: &a [1, *a]\n`).errors;
    assert.deepEqual(cycle, {
      path: 'a[1]',
      message: 'alias *a refers to a node that contains it',
      line: 3,
      column: 11,
    });
    const overused = `${HEAD}h: &h { x: 1 }\nuses: [${Array(101).fill('*h').join(', ')}]\n`;
    assert.match(refused(overused).errors[0]?.message ?? '', /alias count/i);
  });

  it('accepts aliases used as scenarios use them: a shared header block', () => {
    const fine = parseScenario(`${HEAD}load: { rate: 1, duration: 1s }
flows:
  - name: f
    steps:
      - { name: a, request: { path: /a, headers: &common { accept: application/json } } }
      - { name: b, request: { path: /b, headers: *common } }
`);
    assert.ok(fine.ok, JSON.stringify(!fine.ok && fine.errors));
    assert.deepEqual(fine.scenario.flows[0]?.steps[1]?.request.headers, {
      accept: 'application/json',
    });
  });

  it('refuses text over the size limit before parsing it', () => {
    const big = `${HEAD}${FLOWS}description: "${'x'.repeat(MAX_SCENARIO_BYTES)}"\n`;
    const started = performance.now();
    const { errors } = refused(big);
    assert.ok(performance.now() - started < 200);
    assert.deepEqual(errors, [
      { path: '', message: 'a scenario is at most 2 MB; this one is 2.0 MB', line: 1, column: 1 },
    ]);
  });

  it('refuses nesting past the limit, and nesting the parser cannot follow', () => {
    const deep = `${HEAD}${FLOWS}x: ${'['.repeat(MAX_NESTING)}${']'.repeat(MAX_NESTING)}\n`;
    const [tooDeep] = refused(deep).errors;
    assert.match(tooDeep?.message ?? '', /nested deeper than 64 levels/);
    assert.equal(tooDeep?.line, 5);
    const deeper = `${HEAD}x: ${'['.repeat(100_000)}\n`;
    const { errors } = refused(deeper);
    assert.ok(errors.length >= 1 && errors.length <= MAX_REPORTED_PROBLEMS + 1);
  });
});
