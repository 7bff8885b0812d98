// A request-making callback passed to forEach: Loadline refuses it before sending anything.
import http from 'k6/http';

const paths = ['/get', '/uuid'];
export default function () {
  paths.forEach((p) => {
    http.get(`http://httpbin.test.k6.io${p}`);
  });
}
