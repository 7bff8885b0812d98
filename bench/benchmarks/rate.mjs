// 2. Open-model rate accuracy: a fixed arrival rate against nginx; how far the number of
// requests is from rate x duration, as counted by the tool and by nginx (stub_status).
import { startNginx } from '../lib/nginx.mjs';
import { describe, fmt, pct, ratio, verdict } from '../lib/table.mjs';
import { attempt, autocannon, loadline } from '../lib/tools.mjs';

const rate = 5000;
const tolerancePct = 1;

/** Signed errors in percent of the tool's and of the server's count against `intended`. */
function countErrors(r, intended) {
  const error = (n) => (typeof n === 'number' ? (n / intended - 1) * 100 : null);
  return { tool: r.error ? null : error(r.requests), server: error(r.serverRequests) };
}

const show = (e, r) =>
  `${pct(e.tool)} (${fmt(r.requests)})${e.server === null ? '' : `, server ${pct(e.server)}`}`;

export async function rateAccuracy({ quick }) {
  const durationS = quick ? 3 : 10;
  const intended = rate * durationS;
  const nginx = await startNginx();
  try {
    console.log(
      `  nginx on ${nginx.url}; intended ${fmt(intended)} requests (${rate}/s x ${durationS} s)`,
    );
    const runs = {
      loadline: await attempt('loadline', () =>
        nginx.counted(() => loadline(nginx.url, ['--rate', String(rate)], durationS)),
      ),
      autocannon: await attempt('autocannon', () =>
        nginx.counted(() => autocannon(nginx.url, { connections: 100, durationS, rate })),
      ),
    };
    for (const r of Object.values(runs)) console.log(describe(r));

    const errorPct = {
      loadline: countErrors(runs.loadline, intended),
      autocannon: countErrors(runs.autocannon, intended),
    };
    const within = (e) => e === null || Math.abs(e) <= tolerancePct;
    const ll = errorPct.loadline;
    const pass = ll.tool === null ? null : within(ll.tool) && within(ll.server);
    console.log(
      `  count error: loadline ${show(ll, runs.loadline)}; ` +
        `autocannon ${show(errorPct.autocannon, runs.autocannon)}  ${verdict(pass)}`,
    );
    const rows = [
      {
        metric: `rate ${rate}/s count error`,
        loadline: show(ll, runs.loadline),
        peer: runs.autocannon.tool,
        peerValue: show(errorPct.autocannon, runs.autocannon),
        ratio: ratio(Math.abs(ll.tool), Math.abs(errorPct.autocannon.tool)),
        target: `±${tolerancePct} % of ${fmt(intended)}`,
        pass,
      },
    ];
    return { durationS, rate, intended, errorPct, runs, rows };
  } finally {
    await nginx.stop();
  }
}
