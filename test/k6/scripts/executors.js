// The six executors, each counting its own requests by path.

import exec from 'k6/execution';
import http from 'k6/http';

const BASE = 'http://httpbin.test.k6.io';

export const options = {
  scenarios: {
    shared: { executor: 'shared-iterations', vus: 3, iterations: 10, exec: 'shared' },
    perVu: { executor: 'per-vu-iterations', vus: 2, iterations: 3, exec: 'perVu' },
    constantVus: { executor: 'constant-vus', vus: 2, duration: '1s', exec: 'constantVus' },
    rampingVus: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '500ms', target: 2 },
        { duration: '500ms', target: 0 },
      ],
      gracefulRampDown: '0s',
      exec: 'rampingVus',
    },
    constantRate: {
      executor: 'constant-arrival-rate',
      rate: 20,
      timeUnit: '1s',
      duration: '1s',
      preAllocatedVUs: 2,
      exec: 'constantRate',
    },
    rampingRate: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: 2,
      stages: [{ duration: '1s', target: 19 }],
      exec: 'rampingRate',
    },
    later: {
      executor: 'shared-iterations',
      vus: 1,
      iterations: 1,
      startTime: '1200ms',
      exec: 'later',
      tags: { phase: 'late' },
    },
  },
  thresholds: {
    'iterations{scenario:shared}': ['count==10'],
    'iterations{phase:late}': ['count==1'],
  },
};

const hit = (name) => http.get(`${BASE}/anything/${name}`);
export function shared() {
  hit('shared');
}
export function perVu() {
  hit('perVu');
}
export function constantVus() {
  hit('constantVus');
  http.get(`${BASE}/delay/0.05`);
}
export function rampingVus() {
  hit('rampingVus');
  http.get(`${BASE}/delay/0.05`);
}
export function constantRate() {
  hit('constantRate');
}
export function rampingRate() {
  hit('rampingRate');
}
export function later() {
  if (exec.scenario.name !== 'later') throw new Error('wrong scenario');
  hit('later');
}
