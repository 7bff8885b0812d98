// Every bound of the scenario schema: at the bound a scenario is accepted, one past it it is
// refused with the path of the field that crossed it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_AGENTS,
  MAX_BODY_LENGTH,
  MAX_CONDITIONS,
  MAX_DURATION_MS,
  MAX_EXTRACTS,
  MAX_FEEDERS,
  MAX_FLOWS,
  MAX_GUARDRAILS,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS,
  MAX_IN_FLIGHT,
  MAX_NAME_LENGTH,
  MAX_NESTING,
  MAX_PATH_LENGTH,
  MAX_RATE,
  MAX_REPLAY_SPEED,
  MAX_STAGES,
  MAX_STEPS_PER_FLOW,
  MAX_THRESHOLDS,
  MAX_VUS,
  MAX_WEIGHT,
} from './limits.js';
import { parseScenario } from './parse.js';
import { Scenario } from './schema.js';

// biome-ignore lint/suspicious/noExplicitAny: a scenario edited freely, as its author would.
type Draft = any;

const base = (): Draft => ({
  name: 'bounds',
  target: 'http://127.0.0.1:1',
  load: { rate: 1, duration: '1s' },
  flows: [{ name: 'f', steps: [{ name: 's', request: { path: '/' } }] }],
});

function problems(scenario: Draft): string[] {
  const result = parseScenario(JSON.stringify(scenario));
  return result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
}

/** `edit(draft, n)` with n at the bound is accepted; with n one past it, refused at `path`. */
function bound(max: number, path: string, edit: (draft: Draft, n: number) => void): void {
  const at = base();
  edit(at, max);
  assert.deepEqual(problems(at), [], `${path} at ${max}`);
  const over = base();
  edit(over, max + 1);
  const found = problems(over);
  assert.ok(
    found.some((p) => p.startsWith(`${path}: `)),
    `${path} at ${max + 1}: ${found.join('\n') || 'accepted'}`,
  );
}

const step = (draft: Draft) => draft.flows[0].steps[0];
const steps = (n: number, prefix = 's') =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, request: { path: '/' } }));
const text = (n: number, first = 'a') => first + 'a'.repeat(n - 1);

describe('scenario bounds', () => {
  it('names', () => {
    bound(MAX_NAME_LENGTH, 'name', (d, n) => {
      d.name = text(n);
    });
    bound(MAX_NAME_LENGTH, 'flows[0].name', (d, n) => {
      d.flows[0].name = text(n);
    });
    bound(MAX_NAME_LENGTH, 'flows[0].steps[0].name', (d, n) => {
      step(d).name = text(n);
    });
  });

  it('paths, header values, bodies', () => {
    bound(MAX_PATH_LENGTH, 'flows[0].steps[0].request.path', (d, n) => {
      step(d).request.path = text(n, '/');
    });
    bound(MAX_HEADER_VALUE_LENGTH, 'flows[0].steps[0].request.headers.accept', (d, n) => {
      step(d).request.headers = { accept: text(n) };
    });
    bound(MAX_BODY_LENGTH, 'flows[0].steps[0].request.body', (d, n) => {
      step(d).request.body = text(n);
    });
    // `json:` as JSON text: {"k":"aaa…"} is the string and 8 characters more.
    bound(MAX_BODY_LENGTH - 8, 'flows[0].steps[0].request.json', (d, n) => {
      step(d).request.json = { k: text(n) };
    });
  });

  it('how many flows, steps, headers, stages, thresholds, feeders, guardrails', () => {
    bound(MAX_FLOWS, 'flows', (d, n) => {
      d.flows = Array.from({ length: n }, (_, i) => ({ name: `f${i}`, steps: steps(1, `s${i}-`) }));
    });
    bound(MAX_STEPS_PER_FLOW, 'flows[0].steps', (d, n) => {
      d.flows[0].steps = steps(n);
    });
    bound(MAX_HEADERS, 'flows[0].steps[0].request.headers', (d, n) => {
      step(d).request.headers = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`x-${i}`, 'v']),
      );
    });
    bound(MAX_EXTRACTS, 'flows[0].steps[0].extract', (d, n) => {
      step(d).extract = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`v${i}`, 'header x']),
      );
    });
    bound(MAX_STAGES, 'load.stages', (d, n) => {
      d.load = { stages: Array.from({ length: n }, () => ({ duration: '1s', target: 1 })) };
    });
    bound(MAX_THRESHOLDS, 'thresholds', (d, n) => {
      d.thresholds = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`errors{status:${i}}`, ['rate<0.1']]),
      );
    });
    bound(MAX_CONDITIONS, 'thresholds.errors', (d, n) => {
      d.thresholds = { errors: Array.from({ length: n }, () => 'rate<0.1') };
    });
    bound(MAX_FEEDERS, 'feeders', (d, n) => {
      d.feeders = Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`f${i}`, { file: `f${i}.csv` }]),
      );
    });
    bound(MAX_GUARDRAILS, 'guardrails', (d, n) => {
      d.guardrails = Array.from({ length: n }, () => ({ metric: 'errors', rate: '>0.5' }));
    });
  });

  it('durations: at most 7 days each, and a ramp of at most 7 days', () => {
    const hours = MAX_DURATION_MS / 3_600_000;
    bound(hours, 'load.duration', (d, n) => {
      d.load.duration = `${n}h`;
    });
    bound(hours, 'flows[0].steps[0].think', (d, n) => {
      step(d).think = `${n}h`;
    });
    bound(hours, 'load.stages', (d, n) => {
      d.load = {
        stages: [
          { duration: `${n - 1}h`, target: 1 },
          { duration: '1h', target: 1 },
        ],
      };
    });
    const huge = base();
    huge.load.duration = '99999999999999h';
    assert.deepEqual(problems(huge), [
      'load.duration: at most 7 days (168h), got "99999999999999h"',
    ]);
  });

  it('rates, VUs, in flight, agents, weights, replay speed', () => {
    bound(MAX_RATE, 'load.rate', (d, n) => {
      d.load.rate = n;
    });
    bound(MAX_RATE, 'load.stages[0].target', (d, n) => {
      d.load = { stages: [{ duration: '1s', target: n }] };
    });
    bound(MAX_VUS, 'load.vus', (d, n) => {
      d.load = { vus: n, duration: '1s' };
    });
    bound(MAX_IN_FLIGHT, 'load.maxInFlight', (d, n) => {
      d.load.maxInFlight = n;
    });
    bound(MAX_AGENTS, 'agents', (d, n) => {
      d.agents = n;
    });
    bound(MAX_WEIGHT, 'flows[0].weight', (d, n) => {
      d.flows[0].weight = n;
    });
    bound(MAX_REPLAY_SPEED, 'replay.speed', (d, n) => {
      delete d.load;
      d.flows = [];
      d.replay = { corpus: 'c', speed: n };
    });
  });

  it('nesting: the document, and a json body given to the schema directly', () => {
    // The root is level 1, a step's request 6, its json 7: n levels of lists below that.
    const nested = (n: number): unknown => (n === 0 ? [] : [nested(n - 1)]);
    const at = base();
    step(at).request.json = nested(MAX_NESTING - 7);
    assert.deepEqual(problems(at), []);
    const over = base();
    step(over).request.json = nested(MAX_NESTING - 6);
    const [deep, ...rest] = problems(over);
    assert.deepEqual(rest, []);
    assert.match(
      deep ?? '',
      /^flows\[0\]\.steps\[0\]\.request\.json(\[0\]){58}: nested deeper than 64 levels$/,
    );
    const draft = base();
    step(draft).request.json = nested(MAX_NESTING);
    const result = Scenario.safeParse(draft);
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map((i) => [i.path.join('.'), i.message]),
      [['flows.0.steps.0.request.json', `nested deeper than ${MAX_NESTING} levels`]],
    );
  });
});
