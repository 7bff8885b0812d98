// On the fleet: the file opened in init travels with the script, setup() runs once and its
// data reaches every agent, every agent's metrics merge before thresholds are judged, and
// handleSummary runs where `loadline run` runs.
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';

const users = new SharedArray('users', () => JSON.parse(open('./users.json')));
const setups = new Counter('setup_runs');

export const options = {
  scenarios: {
    shared: { executor: 'shared-iterations', vus: 4, iterations: 20, maxDuration: '20s' },
    steady: {
      executor: 'constant-arrival-rate',
      rate: 10,
      duration: '3s',
      preAllocatedVUs: 4,
    },
  },
  thresholds: {
    'http_reqs{scenario:shared}': ['count==20'],
    'http_reqs{scenario:steady}': ['count==30'],
    setup_runs: ['count==1'],
    checks: ['rate==1'],
    http_req_duration: ['p(99)<5000'],
  },
};

export function setup() {
  setups.add(1);
  const res = http.get('http://httpbin.test.k6.io/uuid', { tags: { name: 'setup' } });
  return { token: res.json('uuid') };
}

export default function (data) {
  const user = users[exec.scenario.iterationInTest % users.length];
  const res = http.get(`http://httpbin.test.k6.io/get?user=${user.name}&token=${data.token}`, {
    tags: { name: 'get-user' },
  });
  check(res, {
    'setup data arrived': (r) => r.json('args.token') === data.token,
    'user from the shipped file': (r) => r.json('args.user') === user.name,
  });
}

export function handleSummary(data) {
  return {
    [__ENV.SUMMARY_FILE]: JSON.stringify({
      iterations: data.metrics.iterations.values.count,
      checks: data.metrics.checks.values.passes,
    }),
  };
}
