// QuickPizza as k6's getting-started guide uses it: ask for a recommendation with the
// restrictions JSON and the demo token, check the pizza, ramp with stages.

import { randomIntBetween } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';
import { check, sleep } from 'k6';
import http from 'k6/http';

const BASE_URL = __ENV.BASE_URL || 'http://quickpizza.grafana.com';

export const options = {
  stages: [
    { duration: '500ms', target: 3 },
    { duration: '500ms', target: 0 },
  ],
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(95)<1000'] },
};

export default function () {
  const restrictions = {
    maxCaloriesPerSlice: 500,
    mustBeVegetarian: false,
    excludedIngredients: ['pepperoni'],
    excludedTools: ['knife'],
    maxNumberOfToppings: 6,
    minNumberOfToppings: randomIntBetween(2, 3),
  };
  const res = http.post(`${BASE_URL}/api/pizza`, JSON.stringify(restrictions), {
    headers: { 'Content-Type': 'application/json', Authorization: 'token abcdef0123456789' },
  });
  check(res, {
    'pizza recommended': (r) => r.status === 200 && r.json('pizza.name') !== undefined,
    'no pepperoni': (r) => !r.json('pizza.ingredients.#.name').includes('pepperoni'),
  });
  sleep(0.05);
}
