import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario, type ScenarioError } from './parse.js';
import {
  headerNameProblem,
  headerValueProblem,
  methodProblem,
  requestTargetProblem,
} from './request-rules.js';

/** A one-step scenario whose request is `request` (YAML flow mapping text). */
function withRequest(request: string, target = 'http://127.0.0.1:8080'): ScenarioError[] {
  const result = parseScenario(
    [
      'name: rules',
      `target: ${target}`,
      'load: { rate: 1, duration: 1s }',
      'flows:',
      '  - name: f',
      '    steps:',
      '      - name: first',
      '        request: { path: /ok }',
      '        extract: { loc: "header Location" }',
      '      - name: second',
      `        request: ${request}`,
      '',
    ].join('\n'),
  );
  return result.ok ? [] : result.errors;
}

describe('request rules at validation', () => {
  it('refuses line breaks, NUL and non-Latin-1 in literal header values, at the header', () => {
    for (const [value, why] of [
      ['"a\\r\\nX-Injected: 1"', /carriage return \(CR\)/],
      ['"a\\nX-Injected: 1"', /line feed \(LF\)/],
      ['"a\\0b"', /NUL/],
      ['"\\u010d\\u010aX-Injected: 1"', /U\+010D.*beyond Latin-1/],
      ['"${loc}\\r\\n"', /carriage return/],
    ] as const) {
      const errors = withRequest(`{ path: /x, headers: { x-a: ${value} } }`);
      assert.equal(errors.length, 1, `${value}: ${JSON.stringify(errors)}`);
      assert.equal(errors[0]?.path, 'flows[0].steps[1].request.headers["x-a"]');
      assert.match(errors[0]?.message ?? '', why, value);
      assert.equal(errors[0]?.line, 11, 'points at the header');
    }
    assert.deepEqual(withRequest('{ path: /x, headers: { x-a: "tab\\tand é" } }'), []);
  });

  it("refuses header names that are not tokens, and loadline's own headers", () => {
    for (const [name, why] of [
      ['"x a"', /not an HTTP token/],
      ['"x-a:"', /not an HTTP token/],
      ['Host', /scenario target is the only origin/],
      ['x-loadline-shadow', /adds the shadow tag itself/],
      ['Baggage', /adds the shadow baggage itself/],
      ['content-length', /frames the body itself/],
      ['Transfer-Encoding', /frames the body itself/],
    ] as const) {
      const errors = withRequest(`{ path: /x, headers: { ${name}: v } }`);
      assert.equal(errors.length, 1, `${name}: ${JSON.stringify(errors)}`);
      assert.match(errors[0]?.path ?? '', /^flows\[0\]\.steps\[1\]\.request\.headers/);
      assert.match(errors[0]?.message ?? '', why, name);
    }
  });

  it('wants a path on the target: one leading "/", no scheme, no line breaks or spaces', () => {
    for (const [path, why] of [
      ['"//other.example/x"', /may not start with "\/\/"/],
      ['"http://other.example/x"', /starts with "\/"/],
      ['"x/${loc}"', /starts with "\/"/],
      ['"/x\\r\\nX-Injected: 1"', /carriage return/],
      ['"/x HTTP/1.1"', /a space/],
      ['"/${loc}\\n"', /line feed/],
    ] as const) {
      const errors = withRequest(`{ path: ${path} }`);
      assert.equal(errors.length, 1, `${path}: ${JSON.stringify(errors)}`);
      assert.equal(errors[0]?.path, 'flows[0].steps[1].request.path');
      assert.match(errors[0]?.message ?? '', why, path);
    }
    // Rendered values are checked on every send instead.
    assert.deepEqual(withRequest('{ path: "${loc}" }'), []);
    assert.deepEqual(withRequest('{ path: "/${loc}?q=é" }'), []);
  });

  it('refuses a target whose path starts with "//"', () => {
    const errors = withRequest('{ path: /x }', 'http://127.0.0.1:8080//other.example');
    assert.equal(errors[0]?.path, 'target');
    assert.match(errors[0]?.message ?? '', /may not start with "\/\/"/);
  });
});

describe('request rules on rendered values', () => {
  it('say what is wrong', () => {
    assert.equal(requestTargetProblem('/api/x?q=1'), undefined);
    assert.match(requestTargetProblem('//evil/x') ?? '', /"\/\/"/);
    assert.match(requestTargetProblem('http://evil/x') ?? '', /starts with "\/"/);
    assert.match(requestTargetProblem('/a\u0000') ?? '', /NUL/);
    assert.match(requestTargetProblem('/a\u0100') ?? '', /U\+0100/);
    assert.match(headerValueProblem('a\u007f') ?? '', /control character U\+007F/);
    assert.equal(headerValueProblem('plain value\twith tab'), undefined);
    assert.equal(headerNameProblem('X-Request-Id'), undefined);
    assert.match(headerNameProblem('HOST') ?? '', /may not be set/);
    assert.equal(methodProblem('PURGE'), undefined);
    assert.match(methodProblem('GET /x HTTP/1.1\r\n') ?? '', /not an HTTP token/);
  });
});
