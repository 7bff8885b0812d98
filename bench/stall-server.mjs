// A target with a known latency distribution: it answers at once, except that in the last
// `stallMs` of every `periodMs` (timed from a fixed epoch taken at start-up) it stalls, and
// requests arriving in a stall are answered when the stall ends. The event loop is never
// blocked, so connections are still accepted during a stall.
//   node bench/stall-server.mjs [periodMs=5000] [stallMs=500]
// Prints one JSON line on stdout once listening: { port, epochMs, periodMs, stallMs }, where
// epochMs is the wall-clock (Date.now) time of the epoch.
import { createServer } from 'node:http';

const periodMs = Number(process.argv[2] ?? 5000);
const stallMs = Number(process.argv[3] ?? 500);
const epochMs = Date.now();
const epoch = performance.now();
const body = 'hello\n';

/** Milliseconds until the current stall ends, or 0 outside a stall. */
function stallLeft() {
  const phase = (performance.now() - epoch) % periodMs;
  return phase >= periodMs - stallMs ? periodMs - phase : 0;
}

function answer(res) {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
}

const server = createServer((req, res) => {
  // Drain any request body; the answer does not depend on it.
  req.resume();
  const wait = stallLeft();
  if (wait > 0) setTimeout(answer, wait, res);
  else answer(res);
});
// Load generators keep connections idle through a stall; do not close them under them.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ port, epochMs, periodMs, stallMs })}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
