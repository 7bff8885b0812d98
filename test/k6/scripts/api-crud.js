// The test-api.k6.io walkthrough: register a user in setup, log in for a token, then create,
// list, update and delete crocodiles with a Bearer token; one user per VU via exec.
import { check, fail } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';

const API = 'http://test-api.k6.io';

export const options = {
  scenarios: { crud: { executor: 'per-vu-iterations', vus: 2, iterations: 2 } },
  thresholds: { checks: ['rate==1'], 'http_req_duration{name:create}': ['p(95)<2000'] },
};

export function setup() {
  const users = [];
  for (let i = 1; i <= 2; i++) {
    const user = {
      username: `loadline_${i}_${Date.now()}`,
      password: 'superCroc2019',
      email: `croc${i}_${Date.now()}@example.com`,
      first_name: 'Croc',
      last_name: `Owner ${i}`,
    };
    const res = http.post(`${API}/user/register/`, user);
    if (res.status !== 201) fail(`register: ${res.status} ${res.body}`);
    users.push({ username: user.username, password: user.password });
  }
  return { users };
}

function login(user) {
  const res = http.post(`${API}/auth/token/login/`, {
    username: user.username,
    password: user.password,
  });
  check(res, { 'logged in': (r) => r.status === 200 && typeof r.json('access') === 'string' });
  return { headers: { Authorization: `Bearer ${res.json('access')}` } };
}

export default function (data) {
  const user = data.users[exec.vu.idInTest - 1] ?? data.users[0];
  const auth = login(user);
  const created = http.post(
    `${API}/my/crocodiles/`,
    { name: `Croc ${exec.vu.iterationInScenario}`, sex: 'M', date_of_birth: '2001-01-01' },
    { ...auth, tags: { name: 'create' } },
  );
  check(created, { created: (r) => r.status === 201 });
  const id = created.json('id');
  const listed = http.get(`${API}/my/crocodiles/`, auth);
  check(listed, { listed: (r) => r.json('#.id').includes(id) });
  const renamed = http.patch(`${API}/my/crocodiles/${id}/`, { name: 'Renamed' }, auth);
  check(renamed, { renamed: (r) => r.json('name') === 'Renamed' });
  const deleted = http.del(`${API}/my/crocodiles/${id}/`, null, auth);
  check(deleted, { deleted: (r) => r.status === 204 });
}
