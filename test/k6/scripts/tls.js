// TLS through a mapped hostname: verified against the original name.
import { check } from 'k6';
import http from 'k6/http';

export const options = {
  iterations: 2,
  insecureSkipTLSVerify: __ENV.INSECURE === '1',
  thresholds: { checks: ['rate==1'] },
};

export default function () {
  const res = http.get('https://secure.test.local/hello');
  check(res, {
    'served over TLS': (r) => r.status === 200 && r.body === 'secure hello',
    'handshake measured': (r) => r.timings.tls_handshaking > 0 || __ITER > 0,
  });
}
