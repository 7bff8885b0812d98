import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario } from '@loadline/scenario';
import { applyEdit, type FormEdit, placeProblems, readForm } from './scenario-form';

const SOURCE = `# checkout smoke test
name: checkout
target: http://127.0.0.1:8080 # the gateway
agents: 2
load: { rate: 10, duration: 30s } # steady
flows:
  - name: browse # most users
    weight: 8
    steps:
      - name: list
        request: { path: /api/products }
      - name: detail
        request: { path: /api/products/1 }
  - name: buy
    steps:
      - name: pay
        request: { method: POST, path: /api/pay }
thresholds:
  "latency{step:detail}": ["p(99)<500"] # detail must stay fast
  errors: ["rate<0.01"]
guardrails:
  - { metric: errors, rate: ">0.2", for: 5s }
`;

function edit(source: string, e: FormEdit): string {
  const result = applyEdit(source, e);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.text;
}

function model(source: string) {
  const read = readForm(source);
  assert.ok(read.ok);
  return read.model;
}

/** The lines of `after` that are not in `before` (and the other way round). */
function changed(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe('reading the form from YAML', () => {
  it('reads the common fields as written', () => {
    const m = model(SOURCE);
    assert.equal(m.target, 'http://127.0.0.1:8080');
    assert.equal(m.agents, '2');
    assert.equal(m.load.model, 'rate');
    assert.equal(m.load.rate, '10');
    assert.deepEqual(
      m.flows.map((f) => [f.name, f.weight, f.steps]),
      [
        ['browse', '8', 2],
        ['buy', '', 1],
      ],
    );
    assert.deepEqual(m.thresholds[0], {
      selector: 'latency{step:detail}',
      conditions: ['p(99)<500'],
    });
    assert.deepEqual(m.guardrails[0], {
      metric: 'errors',
      condition: 'rate>0.2',
      for: '5s',
      step: '',
    });
  });

  it('says where to fix YAML that does not parse instead of guessing values', () => {
    const read = readForm('name: x\nload: { rate: 10\nflows: []\n');
    assert.equal(read.ok, false);
    if (!read.ok) assert.equal(read.error.line, 3);
    assert.equal(readForm('- just\n- a list\n').ok, false);
    assert.deepEqual(applyEdit('a: [', { kind: 'top', field: 'target', value: 'x' }), {
      ok: false,
      message: 'fix the YAML first',
    });
  });

  it('reads hostile YAML as the scenario parser does: quickly, and refusing alias bombs', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `key${i}: ${i}\n`).join('');
    const started = performance.now();
    const read = readForm(`name: x\ntarget: http://127.0.0.1:1\n${keys}`);
    assert.ok(performance.now() - started < 2000, `${Math.round(performance.now() - started)} ms`);
    assert.equal(read.ok, true);
    const levels = ['a0: &a0 "lol lol lol lol lol lol lol lol lol"'];
    for (let i = 1; i < 12; i++) {
      levels.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    }
    const bomb = `name: x\n${levels.join('\n')}\n`;
    const refused = readForm(bomb);
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.match(refused.error.message, /alias bomb/);
    assert.deepEqual(applyEdit(bomb, { kind: 'top', field: 'target', value: 'x' }), {
      ok: false,
      message: 'fix the YAML first',
    });
    const overused = `name: x\nh: &h { x: 1 }\nuses: [${Array(101).fill('*h').join(', ')}]\n`;
    assert.equal(readForm(overused).ok, false);
    const duplicate = readForm('name: x\nname: y\n');
    assert.equal(duplicate.ok, false);
    if (!duplicate.ok) assert.match(duplicate.error.message, /map keys must be unique/);
  });

  it('puts each parseScenario problem beside the field its path names', () => {
    const source = SOURCE.replace('duration: 30s', 'duration: soon')
      .replace('"p(99)<500"', '"p(99)<>500"')
      .replace('for: 5s', 'for: 5s, step: nope')
      .replace('path: /api/pay', 'path: api/pay');
    const read = readForm(source);
    assert.ok(read.ok);
    const placed = placeProblems(read.model, read.problems);
    assert.match(placed.at.get('load.duration')?.[0]?.message ?? '', /got "soon"/);
    assert.equal(placed.at.get('thresholds["latency{step:detail}"]')?.length, 1);
    assert.equal(placed.at.get('guardrails[0]')?.[0]?.path, 'guardrails[0].step');
    assert.deepEqual(
      placed.elsewhere.map((p) => p.path),
      ['flows[1].steps[0].request.path'],
      'steps are not in the form',
    );
  });
});

describe('editing YAML through the form', () => {
  it('changes only the edited value; comments and all other text stay', () => {
    const after = edit(SOURCE, { kind: 'top', field: 'target', value: 'https://shop.test' });
    assert.equal(after, SOURCE.replace('http://127.0.0.1:8080', 'https://shop.test'));
    const rate = edit(SOURCE, { kind: 'load', field: 'rate', value: '25' });
    assert.equal(rate, SOURCE.replace('rate: 10', 'rate: 25'));
    const weight = edit(SOURCE, { kind: 'flow', index: 0, field: 'weight', value: '3' });
    assert.deepEqual(changed(SOURCE, weight), {
      added: ['    weight: 3'],
      removed: ['    weight: 8'],
    });
  });

  it('round-trips: every field reads back what was written, and the scenario stays valid', () => {
    let text = SOURCE;
    text = edit(text, { kind: 'top', field: 'agents', value: '4' });
    text = edit(text, { kind: 'top', field: 'environment', value: 'staging' });
    text = edit(text, { kind: 'shadow', value: true });
    text = edit(text, { kind: 'load', field: 'duration', value: '2m' });
    text = edit(text, { kind: 'flow', index: 1, field: 'weight', value: '2' });
    const m = model(text);
    assert.deepEqual(
      [m.agents, m.environment, m.shadow, m.load.duration, m.flows[1]?.weight],
      ['4', 'staging', true, '2m', '2'],
    );
    assert.ok(parseScenario(text).ok);
    assert.match(text, /# the gateway\nenvironment: staging\nagents: 4\nshadow: true\n/);
    assert.ok(text.startsWith('# checkout smoke test\n'));
    assert.ok(text.includes('# detail must stay fast'));
    assert.equal(edit(text, { kind: 'top', field: 'agents', value: '4' }), text, 'no-op edit');
  });

  it('writes what is typed, even when invalid, so the schema can say why', () => {
    const text = edit(SOURCE, { kind: 'load', field: 'rate', value: 'fast' });
    assert.equal(model(text).load.rate, 'fast');
    const read = readForm(text);
    assert.ok(read.ok && read.problems.some((p) => p.path === 'load.rate'));
    const cleared = edit(SOURCE, { kind: 'top', field: 'agents', value: '' });
    assert.ok(!cleared.includes('agents:'), 'an optional field left empty is removed');
  });

  it('adds, edits, reorders and removes stages', () => {
    let text = edit(SOURCE, { kind: 'model', model: 'stages' });
    assert.deepEqual(model(text).load.stages, [{ duration: '30s', target: '10' }]);
    assert.equal(model(text).load.startRate, '10', 'the constant rate is kept as the start');
    text = edit(text, { kind: 'stage-add' });
    text = edit(text, { kind: 'stage', index: 1, field: 'target', value: '80' });
    text = edit(text, { kind: 'stage', index: 1, field: 'duration', value: '1m' });
    assert.deepEqual(model(text).load.stages, [
      { duration: '30s', target: '10' },
      { duration: '1m', target: '80' },
    ]);
    text = edit(text, { kind: 'stage-move', index: 1, by: -1 });
    assert.deepEqual(
      model(text).load.stages.map((s) => s.target),
      ['80', '10'],
    );
    text = edit(text, { kind: 'stage-remove', index: 1 });
    assert.deepEqual(model(text).load.stages, [{ duration: '1m', target: '80' }]);
    assert.ok(parseScenario(text).ok);
    assert.match(text, /stages:\n {4}- \{ duration: 1m, target: 80 \}\n/);
    assert.ok(text.includes('flows:\n  - name: browse # most users\n'), 'later text untouched');
  });

  it('switches the load model, converting the numbers', () => {
    const vus = edit(SOURCE, { kind: 'model', model: 'vus' });
    assert.equal(vus, SOURCE.replace('rate: 10, duration', 'vus: 10, duration'));
    const ramp = SOURCE.replace(
      'load: { rate: 10, duration: 30s } # steady',
      'load:\n  stages:\n    - { duration: 20s, target: 20 }\n    - { duration: 1m, target: 100 }\n  maxInFlight: 50',
    );
    const rate = model(edit(ramp, { kind: 'model', model: 'rate' })).load;
    assert.deepEqual([rate.model, rate.rate, rate.duration], ['rate', '100', '1m20s']);
    const closed = edit(ramp, { kind: 'model', model: 'vus' });
    assert.ok(!closed.includes('maxInFlight'), 'open-model-only keys go');
    assert.ok(parseScenario(closed).ok);
  });

  it('adds, renames, edits and removes thresholds', () => {
    let text = edit(SOURCE, { kind: 'threshold-add' });
    assert.deepEqual(model(text).thresholds[2], { selector: 'latency', conditions: ['p(95)<500'] });
    assert.match(text, /\n {2}"latency": \[ ?"p\(95\)<500" ?\]\n/, 'quoted like its siblings');
    text = edit(text, {
      kind: 'threshold-selector',
      selector: 'latency',
      value: 'latency{flow:buy}',
    });
    text = edit(text, {
      kind: 'threshold-conditions',
      selector: 'latency{flow:buy}',
      value: 'p(95)<300, p(99)<800',
    });
    assert.deepEqual(model(text).thresholds[2], {
      selector: 'latency{flow:buy}',
      conditions: ['p(95)<300', 'p(99)<800'],
    });
    assert.ok(parseScenario(text).ok);
    text = edit(text, { kind: 'threshold-remove', selector: 'errors' });
    assert.deepEqual(
      model(text).thresholds.map((t) => t.selector),
      ['latency{step:detail}', 'latency{flow:buy}'],
    );
    assert.ok(
      text.includes('["p(99)<500"] # detail must stay fast'),
      'untouched row kept as written',
    );
    const clash = applyEdit(text, {
      kind: 'threshold-selector',
      selector: 'latency{flow:buy}',
      value: 'latency{step:detail}',
    });
    assert.deepEqual(clash, {
      ok: false,
      message: '"latency{step:detail}" already has a threshold',
    });
  });

  it('adds, edits and removes guardrails', () => {
    let text = edit(SOURCE, { kind: 'guardrail-add' });
    text = edit(text, { kind: 'guardrail', index: 1, field: 'metric', value: 'latency' });
    text = edit(text, { kind: 'guardrail', index: 1, field: 'condition', value: 'p(99)>2000' });
    text = edit(text, { kind: 'guardrail', index: 1, field: 'step', value: 'detail' });
    assert.deepEqual(model(text).guardrails[1], {
      metric: 'latency',
      condition: 'p(99)>2000',
      for: '10s',
      step: 'detail',
    });
    assert.ok(parseScenario(text).ok);
    const g = parseScenario(text);
    assert.ok(g.ok && g.scenario.guardrails[1]?.['p(99)'] === '>2000');
    text = edit(text, { kind: 'guardrail-remove', index: 0 });
    assert.equal(model(text).guardrails.length, 1);
    assert.equal(
      applyEdit(text, { kind: 'guardrail', index: 0, field: 'condition', value: '>5' }).ok,
      false,
    );
  });
});
