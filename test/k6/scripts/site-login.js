// The test.k6.io login flow k6's docs walk through: fetch the form, submit it with the CSRF
// token it carries (submitForm keeps hidden fields), land on the welcome page with cookies.
import { check, group, sleep } from 'k6';
import http from 'k6/http';

export const options = {
  vus: 2,
  iterations: 4,
  thresholds: { 'checks{flow:login}': ['rate==1'], http_req_failed: ['rate==0'] },
};

export default function () {
  group('login', () => {
    const form = http.get('http://test.k6.io/my_messages.php', { tags: { flow: 'login' } });
    check(
      form,
      { 'form served': (r) => r.status === 200 && r.body.includes('csrftoken') },
      { flow: 'login' },
    );
    const landed = form.submitForm({
      formSelector: 'form',
      fields: { login: 'admin', password: '123' },
      params: { tags: { flow: 'login' } },
    });
    check(
      landed,
      {
        welcomed: (r) => r.status === 200 && r.body.includes('Welcome, admin!'),
        'session cookies set': () => {
          const jar = http.cookieJar().cookiesForURL('http://test.k6.io/');
          return jar.uid !== undefined && jar.sid !== undefined;
        },
      },
      { flow: 'login' },
    );
  });
  sleep(0.05);
}
