// One script, many endings: OUTCOME picks what happens (exit codes are k6's).
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';

const outcome = __ENV.OUTCOME;
if (outcome === 'init-throw') throw new Error('broken in init');

export const options =
  outcome === 'bad-options'
    ? { scenarios: { s: { executor: 'constant-arrival-rate', rate: 0, duration: '1s' } } }
    : outcome === 'bad-threshold'
      ? {
          iterations: 1,
          thresholds: { http_req_duration: ['p(95)<<200'], no_such_metric: ['count>0'] },
        }
      : outcome === 'abort-on-fail'
        ? {
            // Two VUs: on two agents, one each (both stop when control aborts the run).
            scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '30s' } },
            thresholds: { http_req_failed: [{ threshold: 'rate<0.5', abortOnFail: true }] },
          }
        : outcome === 'saturate'
          ? {
              scenarios: {
                s: {
                  executor: 'constant-arrival-rate',
                  rate: 50,
                  duration: '3s',
                  preAllocatedVUs: 100,
                },
              },
            }
          : outcome === 'long'
            ? { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '30s' } } }
            : { vus: 1, iterations: 4, thresholds: { checks: ['rate>0.9'] } };

export function setup() {
  if (outcome === 'setup-throw') throw new Error('broken in setup');
}

export default function () {
  if (outcome === 'saturate') {
    // 40 ms of CPU per iteration at 50 a second: two seconds of work each second.
    const until = Date.now() + Number(__ENV.BUSY_MS || 40);
    while (Date.now() < until) {}
  }
  const res = http.get(
    `http://httpbin.test.k6.io/status/${outcome === 'abort-on-fail' ? 500 : 200}`,
  );
  if (outcome === 'thresholds') check(res, { never: () => false });
  if (outcome === 'iteration-throw' && exec.vu.iterationInScenario === 1)
    throw new Error('only this iteration');
  if (outcome === 'test-abort') exec.test.abort('enough');
  if (outcome === 'test-fail' && exec.vu.iterationInScenario === 0) exec.test.fail('marked failed');
  if (outcome === 'long' || outcome === 'abort-on-fail') sleep(0.05);
}
