// A k6 script, unchanged k6, against the demo mall (`npm start`): browse with a tenth of
// iterations buying, at an arrival rate, with thresholds judged on every agent's merged
// metrics. Run it on the fleet (-e MALL also names the system under test, which the
// environment's allowlist checks), or in one process:
//   npx loadline run scenarios/demo-k6-mall.js -e MALL=http://127.0.0.1:8080 --wait
//   npx loadline run scenarios/demo-k6-mall.js --local
import { check, group, sleep } from 'k6';
import http from 'k6/http';

const MALL = __ENV.MALL || 'http://127.0.0.1:8080';

export const options = {
  scenarios: {
    shoppers: {
      executor: 'ramping-arrival-rate',
      startRate: 10,
      timeUnit: '1s',
      preAllocatedVUs: 20,
      maxVUs: 100,
      stages: [
        { duration: '5s', target: 40 },
        { duration: '10s', target: 40 },
      ],
    },
  },
  thresholds: {
    'http_req_duration{name:product}': ['p(99)<500'],
    http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }],
    checks: ['rate>0.99'],
  },
};

export default function () {
  const page = 1 + Math.floor(Math.random() * 50);
  const list = http.get(`${MALL}/api/products?page=${page}`, { tags: { name: 'list' } });
  check(list, { 'list is 200': (r) => r.status === 200 });
  const id = list.json('items.0.id');
  const product = http.get(`${MALL}/api/products/${id}`, { tags: { name: 'product' } });
  check(product, { 'product is 200': (r) => r.status === 200 });
  if (Math.random() < 0.1) {
    group('buy', () => {
      const user = `k6-${__VU}`;
      const cart = http.post(
        `${MALL}/api/cart`,
        JSON.stringify({ userId: user, productId: String(id), qty: 1 }),
        { headers: { 'Content-Type': 'application/json' }, tags: { name: 'add-to-cart' } },
      );
      check(cart, { added: (r) => r.status === 200 });
    });
  }
  sleep(0.2);
}
