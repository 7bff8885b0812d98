// Options that shape each iteration: cookies emptied per iteration unless noCookiesReset,
// minIterationDuration, throw on a failed request, batch's in-flight limit.
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';

const BASE = 'http://httpbin.test.k6.io';
const mode = __ENV.MODE;

export const options = {
  scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 2 } },
  minIterationDuration: mode === 'min-duration' ? '300ms' : '0s',
  noCookiesReset: mode === 'keep-cookies',
  throw: mode === 'throw',
  batch: 2,
};

export default function () {
  if (mode === 'throw') {
    try {
      http.get('http://127.0.0.1:1/refused');
      check(null, { 'threw on a refused connection': () => false });
    } catch (error) {
      check(error, { 'threw on a refused connection': (e) => String(e).includes('127.0.0.1:1') });
    }
    return;
  }
  const first = exec.vu.iterationInScenario === 0;
  if (first) http.get(`${BASE}/cookies/set?seen=yes`);
  const res = http.get(`${BASE}/cookies`);
  const kept = res.json('cookies.seen') === 'yes';
  check(res, { 'cookies as the option says': () => kept === (first || mode === 'keep-cookies') });
  const started = Date.now();
  const batch = http.batch([
    `${BASE}/delay/0.1`,
    `${BASE}/delay/0.1`,
    `${BASE}/delay/0.1`,
    `${BASE}/delay/0.1`,
  ]);
  const took = Date.now() - started;
  check(batch, { 'batch of 4 two at a time': () => batch.length === 4 && took >= 190 });
}
