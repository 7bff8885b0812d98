import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Forecast, Measurements } from '@loadline/capacity';
import { formatInputProblem, parseInput } from './read-input.js';

describe('parseInput', () => {
  it('parses a forecast from YAML', () => {
    const text =
      'entries: { order: 2000, view: 15000 }\nutilisation: 0.6\nredundancy:\n  default: 2\n';
    assert.deepEqual(parseInput(text, Forecast, 'f.yaml'), {
      ok: true,
      value: {
        entries: { order: 2000, view: 15_000 },
        utilisation: 0.6,
        redundancy: { default: 2 },
      },
    });
  });

  it('reports every schema problem with its line and column', () => {
    const text = 'entries:\n  order: -5\nutilisation: 1.5\nredundancy: { default: 2 }\n';
    const result = parseInput(text, Forecast, 'f.yaml');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => `${p.line}:${p.column} ${p.path}`),
      ['2:10 entries.order', '3:14 utilisation'],
    );
    assert.match(formatInputProblem(result.problems[0]!), /^f\.yaml:2:10 entries\.order: /);
  });

  it('reports a YAML syntax error at its line', () => {
    const result = parseInput('entries:\n  order: [1, 2\nutilisation: 1\n', Forecast, 'f.yaml');
    assert.equal(result.ok, false);
    if (!result.ok) {
      // The unclosed [ is found where the next key starts.
      assert.deepEqual(
        { ...result.problems[0]!, message: '' },
        { file: 'f.yaml', line: 3, column: 1, path: '', message: '' },
      );
      assert.match(result.problems[0]!.message, /Flow sequence/);
    }
  });

  it('locates a problem deep in JSON, and an unknown key at the key', () => {
    const json = JSON.stringify(
      {
        services: {
          cart: { cores: 2, slo: { p99Ms: 100 }, ramp: [{ qps: 0, p99Ms: 1, cpu: 0.1 }] },
        },
        fanout: [],
        fanuot: [],
      },
      null,
      2,
    );
    const result = parseInput(json, Measurements, 'm.json');
    assert.equal(result.ok, false);
    if (result.ok) return;
    const byPath = new Map(result.problems.map((p) => [p.path, p]));
    const qps = byPath.get('services.cart.ramp[0].qps')!;
    assert.equal(json.split('\n')[qps.line - 1]!.trim(), '"qps": 0,');
    const unknown = result.problems.find((p) => /fanuot/.test(p.message))!;
    assert.equal(json.split('\n')[unknown.line - 1]!.trim(), '"fanuot": []');
  });

  it('refuses an alias bomb and duplicate keys with their place, in linear time', () => {
    const levels = ['a0: &a0 "lol lol lol lol lol lol lol lol lol"'];
    for (let i = 1; i < 12; i++) {
      levels.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    }
    const bomb = parseInput(`${levels.join('\n')}\n`, Forecast, 'f.yaml');
    assert.equal(bomb.ok, false);
    if (!bomb.ok)
      assert.match(
        formatInputProblem(bomb.problems[0]!),
        /^f\.yaml:\d+:\d+ a\d+\[\d+\]: aliases expand the document beyond 4 MB/,
      );
    const overused = parseInput(
      `h: &h { x: 1 }\nuses: [${Array(101).fill('*h').join(', ')}]\n`,
      Forecast,
      'f.yaml',
    );
    assert.equal(overused.ok, false);
    const twice = parseInput('utilisation: 0.5\nutilisation: 0.6\n', Forecast, 'f.yaml');
    assert.equal(twice.ok, false);
    if (!twice.ok)
      assert.match(
        formatInputProblem(twice.problems[0]!),
        /^f\.yaml:2:1 utilisation: duplicate key/,
      );
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}\n`).join('');
    const started = performance.now();
    assert.equal(parseInput(keys, Forecast, 'f.yaml').ok, false);
    assert.ok(performance.now() - started < 2000);
  });
});
