// Checks, groups, custom metrics, thresholds with tag filters, setup data, __ENV, __VU/__ITER.
import { check, group, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';

const items = new Counter('items_seen');
const size = new Gauge('last_size');
const ok = new Rate('ok_rate');
const latency = new Trend('get_latency', true);

export const options = {
  vus: 3,
  iterations: 12,
  thresholds: {
    http_req_duration: ['p(95)<2000', 'max<5000'],
    'http_req_duration{name:args}': ['p(99)<5000'],
    'http_reqs{name:args}': ['count==12'],
    'http_reqs{status:200}': ['count>=24'],
    checks: ['rate==1'],
    ok_rate: ['rate>0.99'],
    items_seen: ['count==12'],
  },
};

const BASE = `http://${__ENV.TARGET_HOST || 'httpbin.test.k6.io'}`;

export function setup() {
  const res = http.get(`${BASE}/uuid`);
  return { uuid: res.json('uuid') };
}

function getArgs(iter) {
  return http.get(`${BASE}/get?vu=${__VU}&iter=${iter}`, { tags: { name: 'args' } });
}

export default function (data) {
  group('read', () => {
    const res = getArgs(__ITER);
    check(res, {
      'status is 200': (r) => r.status === 200,
      'echoes the VU': (r) => r.json('args.vu') === String(__VU),
      'setup data arrived': () => typeof data.uuid === 'string' && data.uuid.length === 36,
    });
    latency.add(res.timings.duration);
    ok.add(res.status === 200);
    items.add(1);
    size.add(res.body.length);
  });
  group('write', () => {
    const res = http.post(`${BASE}/post`, JSON.stringify({ n: __ITER }), {
      headers: { 'Content-Type': 'application/json' },
    });
    check(res, { 'posted json': (r) => r.json('json.n') === __ITER });
  });
  sleep(0.01);
}
